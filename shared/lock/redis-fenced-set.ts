import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { luaScript } from '../redis/index.js';

/**
 * Fenced write to Redis: stores `value` in the hash `key` (fields `value` and `fence`) only if `fence`
 * is not lower than the fence stored there, atomically (scripts/fenced-set.lua). Returns false when a
 * newer lock holder has already written: the caller's lease is over and its work must be dropped.
 * `key` is the data key, not the lock key; it must be guarded by a single lock key.
 */
export async function redisFencedSet(client: Redis, key: string, value: string, fence: number): Promise<boolean> {
  return (await luaScript(join(__dirname, 'scripts'), 'fenced-set.lua', 1).run(client, [key], [value, fence])) === 1;
}

/** Reads what `redisFencedSet` stored: the value and the fence of its writer, or null when nothing was written. */
export async function redisFencedGet(client: Redis, key: string): Promise<{ value: string; fence: number } | null> {
  const [value, fence] = await client.hmget(key, 'value', 'fence');
  if (value === null || fence === null) return null;
  return { value, fence: Number(fence) };
}
