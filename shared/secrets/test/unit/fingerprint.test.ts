import { createHash } from 'node:crypto';
import { fingerprint } from '../../index.js';

describe('fingerprint', () => {
  const key = Buffer.from('a1'.repeat(32), 'hex');

  it('is 16 hex characters and stable', () => {
    expect(fingerprint(key, 'APP_AES_SECRET_KEY')).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint(key, 'APP_AES_SECRET_KEY')).toBe(fingerprint(Buffer.from(key), 'APP_AES_SECRET_KEY'));
  });

  it('tells different keys apart', () => {
    const other = Buffer.from(key);
    other[31] ^= 1;
    expect(fingerprint(other, 'APP_AES_SECRET_KEY')).not.toBe(fingerprint(key, 'APP_AES_SECRET_KEY'));
  });

  it('is domain-separated: not a plain SHA-256 of the key, and different per purpose', () => {
    expect(createHash('sha256').update(key).digest('hex')).not.toContain(fingerprint(key));
    expect(fingerprint(key, 'APP_KEY')).not.toBe(fingerprint(key, 'APP_AES_SECRET_KEY'));
  });

  it('hashes a string key as its UTF-8 bytes', () => {
    expect(fingerprint('clé-secrète-longue', 'APP_KEY')).toBe(fingerprint(Buffer.from('clé-secrète-longue', 'utf8'), 'APP_KEY'));
  });
});
