import type { Logger } from '../errors/index.js';

/** Where start-up warnings go. A Moleculer logger fits. */
export type SecretsLogger = Pick<Logger, 'warn' | 'error'>;

export interface LoadSecretsOptions {
  /** APP_KEY as configured; undefined or '' → read or generate `<storagePath>/keys/app-key`. */
  readonly appKey?: string;
  /** APP_AES_SECRET_KEY as configured (64 hex); undefined or '' → `<storagePath>/keys/aes-key`. */
  readonly aesKeyHex?: string;
  /** STORAGE_PATH; key files live in its `keys/` folder. */
  readonly storagePath: string;
  /**
   * True when this node is (or may be) one of several: a generated key is then logged at error level,
   * because the other nodes would generate their own unless they share the storage folder.
   */
  readonly clustered: boolean;
  readonly log: SecretsLogger;
}

export interface Secrets {
  /** Signs tokens (HMAC key, used as UTF-8 text). At least 16 characters. */
  readonly appKey: string;
  /** 32 bytes: the AES-256 key of `encrypted` fields. */
  readonly aesKey: Buffer;
  /** Names of the keys this call generated (`APP_KEY`, `APP_AES_SECRET_KEY`), empty when none were. */
  readonly generated: readonly ('APP_KEY' | 'APP_AES_SECRET_KEY')[];
  /** Where each key came from: `env` or the key file's path. For logs; never the key itself. */
  readonly sources: { readonly appKey: string; readonly aesKey: string };
}

export interface KeyPair {
  readonly appKey: string | Buffer;
  readonly aesKey: Buffer;
}
