/**
 * A model could not be found, fetched or trusted from the Hugging Face Hub. The message is one
 * line for the user: which model, what went wrong, and what to do about it.
 */
export class HubError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'HubError';
  }
}

/** The user stopped a download; what arrived is kept, and the next download resumes it. */
export class DownloadCancelled extends HubError {
  constructor(what: string) {
    super(`The download of ${what} was cancelled; what arrived is kept in the cache, and the next download resumes it.`);
    this.name = 'DownloadCancelled';
  }
}
