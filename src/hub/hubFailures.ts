/**
 * What went wrong talking to the hub, as one HubError line each: the model, the cause, and the
 * fix (a token for gated models, offline mode and the cached models when the hub is out of
 * reach, a larger disk when this one is full).
 */
import { HubApiError } from '@huggingface/hub';
import { DownloadCancelled, HubError } from './hubError';
import { formatHubId, type HubId } from './hubId';
import type { HubOptions } from './hubOptions';
import { cacheRepos } from './cacheRepos';

/** Connection failures, as undici and Node name them (the error's `cause.code`). */
const NETWORK_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'];

/** The code of a connection failure (fetch's "fetch failed" wraps it), or undefined for any other error. */
export function networkCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.includes(e.code)) return e.code;
  }
  return undefined;
}

/** An HTTP status the hub answered for the model, or for one of its `file`s. */
export function statusFailure(status: number, id: HubId, hub: HubOptions, file?: string): HubError {
  const what = file ? `${file} of ${formatHubId(id)}` : formatHubId(id);
  const page = `${hub.endpoint}/${id.repo}`;
  if (status === 401 && hub.token) return new HubError(`${hub.endpoint} refused the token for ${what} (HTTP 401); check that it is a valid read token (${hub.endpoint}/settings/tokens).`);
  if (status === 401) return new HubError(`${what} is gated, private or absent on ${hub.endpoint} (HTTP 401): if it exists, accept its licence on ${page} and ${hub.hints.token}.`);
  if (status === 403) return new HubError(`${what} is gated or private and the token has no access to it (HTTP 403): accept its licence on ${page} with the token's account, or use a token that has access.`);
  if (status === 404 && file) return new HubError(`${what} is in the repo's file list but ${hub.endpoint} does not serve it (HTTP 404); try again later.`);
  if (status === 404) {
    const revision = id.revision === 'main' ? '' : `, or it has no revision ${id.revision}`;
    return new HubError(`${what} is neither a folder here nor a model on ${hub.endpoint} (HTTP 404${revision}); check the path, or the id as ORG/NAME[@REVISION] as on the model's page.`);
  }
  return new HubError(`${hub.endpoint} answered HTTP ${status} for ${what}; try again later.`);
}

export function offlineFailure(id: HubId, hub: HubOptions, reason: string): HubError {
  return new HubError(`${formatHubId(id)} ${reason}, and ${hub.hints.offline} forbids downloading it: turn that off to download it, or use a cached model (${cachedModels(hub)}).`);
}

/** Any failure of a hub request, as a HubError (cancellation stays DownloadCancelled). */
export function hubFailure(error: unknown, id: HubId, hub: HubOptions, signal?: AbortSignal): HubError {
  if (error instanceof HubError) return error;
  if (signal?.aborted) return new DownloadCancelled(formatHubId(id));
  if (error instanceof HubApiError) return statusFailure(error.statusCode, id, hub);
  const code = networkCode(error);
  if (code) return new HubError(`Cannot reach ${hub.endpoint} (${code}) to fetch ${formatHubId(id)}: check the network, or use ${hub.hints.offline} to stay with the cached models (${cachedModels(hub)}).`);
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  return new HubError(`Fetching ${formatHubId(id)} from ${hub.endpoint} failed (${(error as Error).message}${cause ? `: ${cause}` : ''}).`);
}

/** The cached models, for a message about what works without the hub. */
function cachedModels(hub: HubOptions): string {
  const ids = cacheRepos(hub.cacheDir).map((entry) => entry.repo);
  return ids.length === 0 ? `none is cached in ${hub.cacheDir} yet` : `cached: ${ids.join(', ')}; ${hub.hints.list} shows which of them run`;
}
