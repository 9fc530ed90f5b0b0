import { createHash } from 'node:crypto';

const DOMAIN = 'clusterbase/key-fingerprint/v1';

/**
 * A short, one-way identifier of a key: the first 16 hex characters (64 bits) of SHA-256 over a
 * domain-separated input (`clusterbase/key-fingerprint/v1`, NUL, `purpose`, NUL, the key bytes), so it
 * matches no other hash of the same key. Enough to tell two keys apart; says nothing usable about the
 * key when the key is random (a generated key, a 32-byte AES key). A human-chosen APP_KEY with little
 * entropy could still be guessed offline from it, like from any fast hash: use random keys.
 *
 * `purpose` separates keys of different roles (`APP_KEY`, `APP_AES_SECRET_KEY`): the same bytes used
 * for both give different fingerprints. A string key is hashed as UTF-8, a Buffer as its bytes.
 */
export function fingerprint(key: string | Buffer, purpose = 'key'): string {
  return createHash('sha256')
    .update(DOMAIN)
    .update('\0')
    .update(purpose)
    .update('\0')
    .update(typeof key === 'string' ? Buffer.from(key, 'utf8') : key)
    .digest('hex')
    .slice(0, 16);
}
