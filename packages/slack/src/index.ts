export { InstallationNotFoundError } from './errors/installation-not-found-error.js';
export { TokenDecryptionError } from './errors/token-decryption-error.js';
export {
  type BotAuthorization,
  SlackInstallationStore,
  type SlackInstallationStoreOptions,
  type UninstalledWorkspace,
  type UninstallOutcome,
} from './installation-store.js';
export { type SlackLoggerOptions, slackLogger } from './slack-logger.js';
export {
  describeWorkspace,
  type InstallationId,
  installationIdsOf,
  isSlackId,
  type SlackWorkspace,
  slackWorkspaceOf,
} from './slack-workspace.js';
export { TokenCipher } from './token-cipher.js';
export {
  parseTokenEncryptionKeys,
  type TokenEncryptionKey,
  tokenEncryptionKeysField,
} from './token-encryption-keys.js';
