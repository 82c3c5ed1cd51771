/**
 * A model or tokenizer file could not be used. The message is one sentence meant for the user:
 * which file, what is wrong with it, and what to do about it.
 */
export class ModelLoadError extends Error {
  constructor(message: string) {
    // One line, whatever a quoted parser message held (V8's JSON errors quote the text around).
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'ModelLoadError';
  }
}
