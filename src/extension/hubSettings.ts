/**
 * The hub as the extension reaches it: the environment's options, as for the CLI (HF_ENDPOINT,
 * HF_HUB_CACHE, HF_TOKEN, HF_HUB_OFFLINE), with the backwardLens.hubOffline setting and the token
 * kept in VS Code's secret storage on top. No VS Code import, so it is unit-tested.
 */
import { CLI_HINTS, hubOptionsFromEnvironment, type HubHints, type HubOptions } from '../hub/hubOptions';

export const EXTENSION_HINTS: HubHints = {
  offline: 'the backwardLens.hubOffline setting',
  token: 'set a token with "Backward Lens: Set Hugging Face Token"',
  list: '"Backward Lens: Select Model…"',
};

export function extensionHubOptions(hubOffline: boolean, storedToken: string | undefined): HubOptions {
  const environment = hubOptionsFromEnvironment(EXTENSION_HINTS);
  // Offline because of the environment: name the variable, which the setting cannot turn off.
  const hints = environment.offline ? { ...EXTENSION_HINTS, offline: CLI_HINTS.offline } : EXTENSION_HINTS;
  return { ...environment, hints, offline: environment.offline || hubOffline, ...(storedToken ? { token: storedToken } : {}) };
}
