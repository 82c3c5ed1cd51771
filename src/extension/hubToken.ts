/**
 * "Backward Lens: Set Hugging Face Token": the token for gated and private models, kept in VS
 * Code's secret storage (never in settings.json) and used as HF_TOKEN for downloads.
 */
import * as vscode from 'vscode';

const SECRET_KEY = 'backwardLens.huggingFaceToken';

export class HubToken {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(): Thenable<string | undefined> {
    return this.secrets.get(SECRET_KEY);
  }

  /** Asks for the token; an empty answer removes the stored one. */
  async ask(): Promise<void> {
    const token = await vscode.window.showInputBox({
      title: 'Backward Lens: Hugging Face token',
      prompt: 'A read token from huggingface.co/settings/tokens, for gated and private models. Leave empty to remove the stored token.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() === '' || /^hf_\w+$/.test(value.trim()) ? undefined : 'A Hugging Face token starts with hf_.'),
    });
    if (token === undefined) return;
    if (token.trim()) await this.secrets.store(SECRET_KEY, token.trim());
    else await this.secrets.delete(SECRET_KEY);
    void vscode.window.showInformationMessage(`Backward Lens: the Hugging Face token was ${token.trim() ? "stored in VS Code's secret storage" : 'removed'}.`);
  }
}
