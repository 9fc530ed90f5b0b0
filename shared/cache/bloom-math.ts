import { createHash } from 'node:crypto';
import { cbError } from '../errors/index.js';
import type { BloomParameters } from './types.js';

/** A Redis string holds at most 2^32 bits (512 MB); BITFIELD offsets stop there too. */
export const MAX_BITS = 2 ** 32;

/**
 * Standard sizing: m = ceil(-n·ln p / (ln 2)²) bits, k = round(m/n · ln 2) hashes (at least 1).
 * n = 1,000 and p = 0.01 give m = 9,586 and k = 7.
 */
export function bloomParameters(expectedItems: number, falsePositiveRate: number): BloomParameters {
  if (!Number.isInteger(expectedItems) || expectedItems < 1) {
    throw cbError('CB_ERR_CONFIG_INVALID', `Bloom filter expectedItems must be an integer >= 1, got ${String(expectedItems)}`);
  }
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    throw cbError('CB_ERR_CONFIG_INVALID', `Bloom filter falsePositiveRate must be between 0 and 1 (exclusive), got ${String(falsePositiveRate)}`);
  }
  const bits = Math.ceil((-expectedItems * Math.log(falsePositiveRate)) / Math.LN2 ** 2);
  if (bits > MAX_BITS) {
    throw cbError('CB_ERR_CONFIG_INVALID', `A Bloom filter for ${expectedItems} items at ${falsePositiveRate} needs ${bits} bits, more than Redis allows (2^32)`);
  }
  const hashes = Math.max(1, Math.round((bits / expectedItems) * Math.LN2));
  return { bits, hashes };
}

/**
 * The k bit positions of `item`: enhanced double hashing (Dillinger & Manolios) over two 48-bit
 * halves of SHA-256(item). Every value stays below 2·m < 2^33, exact in a JS number. The memory and
 * the Redis bitmap adapters share this function, so both place the same item on the same bits.
 */
export function bloomPositions(item: string, { bits, hashes }: BloomParameters): readonly number[] {
  // The same token id is checked on every request it signs: its positions are remembered.
  const key = `${bits}:${hashes}:${item}`;
  const known = recent.get(key);
  if (known) return known;
  const positions = computePositions(item, bits, hashes);
  if (recent.size >= RECENT_MAX) recent.clear();
  recent.set(key, positions);
  return positions;
}

/** Positions of recently seen items (cleared whole when full). */
const recent = new Map<string, readonly number[]>();
const RECENT_MAX = 5000;

function computePositions(item: string, bits: number, hashes: number): readonly number[] {
  const digest = createHash('sha256').update(item, 'utf8').digest();
  let x = digest.readUIntBE(0, 6) % bits;
  let y = digest.readUIntBE(6, 6) % bits;
  const positions = new Array<number>(hashes);
  positions[0] = x;
  for (let i = 1; i < hashes; i += 1) {
    x = (x + y) % bits;
    y = (y + i) % bits;
    positions[i] = x;
  }
  return Object.freeze(positions);
}

export function checkItem(item: string): string {
  if (typeof item !== 'string') throw new TypeError(`Bloom filter items are strings, got ${typeof item}`);
  return item;
}
