import { Redis } from 'ioredis';

/** Deletes every key under the given prefixes (test clean-up). */
export async function deleteKeysUnder(url: string, prefixes: readonly string[]): Promise<void> {
  const redis = new Redis(url);
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
