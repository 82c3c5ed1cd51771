/**
 * Where and how the hub is reached, from the same environment variables as Python's
 * huggingface_hub, so both share one cache, one endpoint and one token.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getHFHubCachePath } from '@huggingface/hub';

/** How a front end tells its user to change a hub option (the CLI names variables, the extension its setting and command). */
export interface HubHints {
  /** The switch for offline mode, e.g. "HF_HUB_OFFLINE=1". */
  offline: string;
  /** How to give a token, e.g. "set a token with HF_TOKEN". */
  token: string;
  /** Where the cached models are listed, e.g. "backward-lens models". */
  list: string;
}

export interface HubOptions {
  /** The hub's URL without a trailing slash: HF_ENDPOINT, else https://huggingface.co. */
  endpoint: string;
  /** HF_TOKEN, else the token `huggingface-cli login` saved. */
  token?: string;
  /** HF_HUB_OFFLINE: use the cache only, never a request. */
  offline: boolean;
  /** HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir: string;
  hints: HubHints;
}

export const CLI_HINTS: HubHints = { offline: 'HF_HUB_OFFLINE=1', token: 'set a token with HF_TOKEN', list: 'backward-lens models' };

const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** huggingface_hub's truth values for boolean variables. */
const isTrue = (value: string | undefined): boolean => ['1', 'ON', 'YES', 'TRUE'].includes((value ?? '').trim().toUpperCase());

export function hubOptionsFromEnvironment(hints: HubHints = CLI_HINTS): HubOptions {
  const env = process.env;
  const token = env.HF_TOKEN?.trim() || savedToken(env);
  return {
    endpoint: (env.HF_ENDPOINT?.trim() || DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    offline: isTrue(env.HF_HUB_OFFLINE),
    cacheDir: getHFHubCachePath(),
    hints,
  };
}

/** The token file huggingface_hub writes at login: HF_TOKEN_PATH, else HF_HOME/token. */
function savedToken(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  try {
    return fs.readFileSync(env.HF_TOKEN_PATH ?? path.join(home, 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
