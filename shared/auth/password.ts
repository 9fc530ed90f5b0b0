import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters. Default: OWASP's minimum N=2^17, r=8, p=1 (128 MiB, a few hundred ms per hash). */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/**
 * True when `stored` was hashed with less work than `params` (an older, cheaper default): the next
 * successful sign-in re-hashes the password. A malformed value is not "weaker", it never verifies.
 */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parts = typeof stored === 'string' ? stored.split('$') : [];
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  return N * r * p < params.N * params.r * params.p || N < params.N;
}

const SALT_BYTES = 16;
const HASH_BYTES = 64;
/** Longest password accepted (bytes); longer ones are refused rather than hashed. */
export const MAX_PASSWORD_BYTES = 1024;

function derive(password: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Hashes a password with scrypt and a random 16-byte salt: `scrypt$N$r$p$<salt b64url>$<hash b64url>`.
 * Passwords are NFC-normalised first, so the same characters typed differently still match.
 */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (typeof password !== 'string' || password === '') throw new Error('A password must be a non-empty string');
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new Error(`A password must be at most ${MAX_PASSWORD_BYTES} bytes`);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * True when `password` matches `stored`; compares in constant time. A malformed hash, or one whose
 * cost parameters are outside sane bounds (a stored value crafted to exhaust memory), is false.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (typeof password !== 'string' || typeof stored !== 'string' || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map((x) => (/^\d{1,7}$/.test(x!) ? Number(x) : NaN)) as [number, number, number];
  // scrypt needs 128·N·r bytes: cap it at 256 MiB (N·r ≤ 2^21); p only adds time, cap it too.
  if (!(N >= 1024 && N <= 1 << 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && N * r <= 1 << 21 && p >= 1 && p <= 16)) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || expected.length < 16 || expected.length > 128) return false;
  const actual = await derive(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(actual, expected);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as checking a real password, for sign-ins with an unknown account, so the
 * answer time does not reveal whether the account exists. Always false.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword('clusterbase-dummy-password');
  await verifyPassword(typeof password === 'string' ? password : '', await dummy);
  return false;
}
