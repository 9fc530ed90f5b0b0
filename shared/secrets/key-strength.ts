/**
 * Keys that look like templates or people, not like randomness. A node started with the shipped
 * placeholder (`change-me…`, an all-zero AES key) would accept root tokens forged offline by anyone
 * who read the template, so these refuse the start.
 */
const PLACEHOLDER = /change[-_ .]?me|replace[-_ .]?me|your[-_ .]|example|placeholder|insert[-_ .]|todo|xxxx/i;

/** Whether a secret is a template's placeholder (`change-me…`, `your-…`, `example`…). */
export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value);
}

/** Shortest APP_KEY accepted: 32 characters (e.g. `openssl rand -hex 32` gives 64). */
export const MIN_APP_KEY_LENGTH = 32;

/** Estimated bits of randomness: length × Shannon entropy of the key's own characters. */
export function entropyBits(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * value.length;
}

/** The shortest repeating unit's length: `abab…` → 2. */
function period(value: string): number {
  for (let size = 1; size <= value.length / 2; size += 1) {
    if (value.length % size === 0 && value.slice(0, size).repeat(value.length / size) === value) return size;
  }
  return value.length;
}

/** Why a key is a placeholder or low-entropy, or undefined. Never contains the value. */
export function weakKeyProblem(value: string, minBits: number, minLength = 0): string | undefined {
  if (isPlaceholder(value)) return 'is a placeholder from a template; generate one with: openssl rand -hex 32';
  if (period(value) <= 4) return 'is one character (or a short pattern) repeated; generate one with: openssl rand -hex 32';
  if (value.length < minLength) return `must be at least ${minLength} characters of random data, got ${value.length}; generate one with: openssl rand -hex 32`;
  if (entropyBits(value) < minBits) return `looks too little random (about ${Math.floor(entropyBits(value))} bits, at least ${minBits} needed); generate one with: openssl rand -hex 32`;
  return undefined;
}
