export type { LoadSecretsOptions, Secrets, SecretsLogger, KeyPair } from './types.js';
export { loadSecrets, aesKeyProblem, appKeyProblem, MIN_APP_KEY_LENGTH } from './load-secrets.js';
export { isPlaceholder } from './key-strength.js';
export { fingerprint } from './fingerprint.js';
export { checkFingerprints, fingerprintMetaKey } from './check-fingerprints.js';
export { readOrCreateKeyFile, type KeyFileResult } from './key-file.js';
