import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { StartupRefusal } from '../errors/index.js';
import { readOrCreateKeyFile, type KeyFileResult } from './key-file.js';
import { MIN_APP_KEY_LENGTH, weakKeyProblem } from './key-strength.js';

export { MIN_APP_KEY_LENGTH } from './key-strength.js';
import type { LoadSecretsOptions, Secrets, SecretsLogger } from './types.js';


const HEX64 = /^[0-9a-fA-F]{64}$/;

/** Why an APP_AES_SECRET_KEY value is refused, or undefined when it is fine. Never contains the value. */
export function aesKeyProblem(value: string): string | undefined {
  if (HEX64.test(value)) return weakKeyProblem(value.toLowerCase(), 128);
  const nonHex = /^[0-9a-fA-F]*$/.test(value) ? '' : ' with non-hex ones';
  return `must be exactly 64 hexadecimal characters (a 32-byte AES-256 key), got ${value.length} characters${nonHex}`;
}

/** Why an APP_KEY value is refused, or undefined when it is fine. Never contains the value. */
export function appKeyProblem(value: string): string | undefined {
  return weakKeyProblem(value, 128, MIN_APP_KEY_LENGTH);
}

/**
 * The node's two secrets. A configured value wins; an unset one (undefined or '') is read from
 * `<storagePath>/keys/app-key` / `aes-key`, generated there (random 32 bytes as 64 hex, mode 0600)
 * on the first start and reused afterwards.
 *
 * Refuses to start (StartupRefusal CB_ERR_CONFIG_INVALID, one line per bad key, never the value) when
 * APP_AES_SECRET_KEY is not exactly 64 hex characters or APP_KEY is shorter than 32 characters, or either is a
 * template placeholder or low-entropy (one character or a short pattern repeated, too few random bits),
 * whether they came from the environment or a key file.
 *
 * Generating a key logs a warning; on a clustered node an error-level one, because nodes that do not
 * share the storage folder generate different keys (tokens refused elsewhere, encrypted data unreadable
 * elsewhere); the fingerprint check then keeps such a node from becoming ready.
 */
export function loadSecrets(options: LoadSecretsOptions): Secrets {
  const problems: string[] = [];
  const generated: ('APP_KEY' | 'APP_AES_SECRET_KEY')[] = [];
  const keysDir = join(options.storagePath, 'keys');

  const appKey = pick(options, 'APP_KEY', options.appKey, join(keysDir, 'app-key'), appKeyProblem, problems, generated);
  const aesHex = pick(options, 'APP_AES_SECRET_KEY', options.aesKeyHex, join(keysDir, 'aes-key'), aesKeyProblem, problems, generated);
  if (problems.length > 0) throw new StartupRefusal('CB_ERR_CONFIG_INVALID', problems);

  return {
    appKey: appKey.value,
    aesKey: Buffer.from(aesHex.value, 'hex'),
    generated,
    sources: { appKey: appKey.source, aesKey: aesHex.source },
  };
}

function pick(
  options: LoadSecretsOptions,
  name: 'APP_KEY' | 'APP_AES_SECRET_KEY',
  configured: string | undefined,
  path: string,
  problemOf: (value: string) => string | undefined,
  problems: string[],
  generated: ('APP_KEY' | 'APP_AES_SECRET_KEY')[],
): { value: string; source: string } {
  if (configured !== undefined && configured !== '') {
    const problem = problemOf(configured);
    if (problem) problems.push(`${name}: ${problem}`);
    return { value: configured, source: 'env' };
  }
  let file: KeyFileResult;
  try {
    file = readOrCreateKeyFile(path, () => randomBytes(32).toString('hex'));
  } catch (err) {
    problems.push(`${name}: not set and its key file ${path} cannot be read or written (${(err as Error).message})`);
    return { value: '', source: path };
  }
  const problem = problemOf(file.text);
  if (problem) problems.push(`${name}: the key file ${path} ${problem}`);
  if (file.created) generated.push(name);
  warn(options.log, options.clustered, name, path, file);
  return { value: file.text, source: path };
}

function warn(log: SecretsLogger, clustered: boolean, name: string, path: string, file: KeyFileResult): void {
  const consequence =
    name === 'APP_KEY'
      ? 'tokens signed by one node would be refused by the others'
      : 'fields encrypted by one node would be unreadable by the others';
  if (file.created && clustered) {
    log.error(
      `${name} is not set on a clustered node: GENERATED a new random key into ${path}. ` +
        `Nodes that do not share this storage folder generate different keys and ${consequence}. ` +
        `Set the same ${name} on every node (e.g. from a Kubernetes Secret).`,
    );
  } else if (file.created) {
    log.warn(
      `${name} is not set: generated a random key into ${path} (mode 0600), reused on the next starts. ` +
        `Keep that file (losing it invalidates ${name === 'APP_KEY' ? 'every token' : 'encrypted data'}) or set ${name} explicitly.`,
    );
  } else if (clustered) {
    log.warn(`${name} is not set: using the key file ${path}; every node must share it (same storage folder) or set the same ${name}.`);
  }
  if ((file.mode & 0o077) !== 0) {
    log.warn(`The key file ${path} is readable by other users (mode 0${file.mode.toString(8)}); run: chmod 600 ${path}`);
  }
}
