/**
 * Messaging with the extension host. A request gets a fresh id and a Promise that the host's
 * answer with the same id settles: `save` is answered by `saved`, `reanalyze` and `experiment` by
 * `show`, `edit` and `sweep` by `edited`, `compare` by `reference`, any by `error`. Other messages
 * are notices for the page. No DOM here, so it tests in Node.
 */
import type { AskedExperiments, EditChoice, EditedMessage, HostToWebview, ReferenceMessage, SavedMessage, ShowMessage, SweepChoice, WebviewToHost } from '../protocol/messages';

/** A request as the page asks it; `Host` adds the id. */
export type Asked =
  | { type: 'save' }
  | { type: 'reanalyze'; normalized: boolean }
  | ({ type: 'experiment' } & AskedExperiments)
  | { type: 'compare'; historyId?: number }
  | { type: 'edit'; choice: EditChoice }
  | { type: 'sweep'; choice: SweepChoice };

interface Answers {
  save: SavedMessage;
  reanalyze: ShowMessage;
  edit: EditedMessage;
  sweep: EditedMessage;
  experiment: ShowMessage;
  compare: ReferenceMessage;
}
const ANSWER_TYPE = { save: 'saved', reanalyze: 'show', edit: 'edited', sweep: 'edited', experiment: 'show', compare: 'reference' } as const;

interface Waiter {
  asked: Asked['type'];
  resolve(answer: HostToWebview): void;
  reject(error: Error): void;
}

export class Host {
  private nextRequestId = 1;
  private readonly waiters = new Map<number, Waiter>();

  constructor(
    readonly post: (message: WebviewToHost) => void,
    private readonly onNotice: (message: HostToWebview) => void,
  ) {}

  /** How many requests wait for their answer. */
  get waiting(): number {
    return this.waiters.size;
  }

  request<A extends Asked>(asked: A): Promise<Answers[A['type']]> {
    const requestId = this.nextRequestId++;
    const answer = new Promise<Answers[A['type']]>((resolve, reject) => {
      this.waiters.set(requestId, { asked: asked.type, resolve: resolve as Waiter['resolve'], reject });
    });
    this.post({ ...asked, requestId });
    return answer;
  }

  receive(message: HostToWebview): void {
    if (message.type === 'busy' || message.type === 'history' || message.requestId === undefined) {
      this.onNotice(message);
      return;
    }
    const waiter = this.waiters.get(message.requestId);
    if (!waiter) {
      // An answer to a request this page no longer waits for (one posted before a reload): its
      // result would replace the one shown, so it is dropped; an outcome is still worth a word.
      if (message.type !== 'show' && message.type !== 'reference') this.onNotice(message);
      return;
    }
    this.waiters.delete(message.requestId);
    if (message.type === 'error') waiter.reject(new Error(message.message));
    else if (message.type === ANSWER_TYPE[waiter.asked]) waiter.resolve(message);
    else waiter.reject(new Error(`The host answered ${waiter.asked} with ${message.type}.`));
  }
}
