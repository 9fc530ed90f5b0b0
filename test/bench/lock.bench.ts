/**
 * Lock acquire+release per second: our Redis adapter (Lua SET NX PX + INCR'd fence, Lua
 * compare-and-delete) against a bare `SET key val NX PX` / `DEL` loop, on the same Redis, with the same
 * number of concurrent loops, in the same run. Each loop works on its own key (no contention), so the
 * figure is the cost per lock cycle. Run: `npx tsx test/bench/lock.bench.ts`.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { resolveLockAdapter, type LockAdapter } from '../../shared/lock/index.js';
import { SERVICES } from '../support/services.js';
import { runStandalone } from './support/standalone';

export interface BenchResult {
  name: string;
  ours: number;
  reference: number;
  unit: string;
}

const CONCURRENCY = 8;
const WARMUP_MS = 300;
const MEASURE_MS = 2500;
const TTL_MS = 10_000;

/** Runs `cycle` in `CONCURRENCY` loops for `ms`; returns completed cycles per second. */
async function throughput(ms: number, cycle: (loop: number) => Promise<void>): Promise<number> {
  let done = 0;
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, loop) => {
      while (performance.now() < end) {
        await cycle(loop);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

export async function run(): Promise<BenchResult[]> {
  const prefix = `bench-${randomUUID()}`;
  const locks: LockAdapter = resolveLockAdapter({ type: 'redis', url: SERVICES.redis.url, prefix });
  const bare = new Redis(SERVICES.redis.url);
  await locks.connect();

  const ours = async (loop: number): Promise<void> => {
    const key = `ours-${loop}`;
    const handle = await locks.acquire(key, { ttlMs: TTL_MS });
    if (!(await locks.release(key, handle.token))) throw new Error('release refused');
  };
  const reference = async (loop: number): Promise<void> => {
    const key = `${prefix}:bare:${loop}`;
    if ((await bare.set(key, randomUUID(), 'PX', TTL_MS, 'NX')) !== 'OK') throw new Error('bare SET NX refused');
    await bare.del(key);
  };

  try {
    await throughput(WARMUP_MS, ours);
    await throughput(WARMUP_MS, reference);
    // Two halves each, interleaved, so drift on the shared machine hits both sides alike.
    const oursRate = await throughput(MEASURE_MS / 2, ours);
    const refRate = await throughput(MEASURE_MS / 2, reference);
    const oursRate2 = await throughput(MEASURE_MS / 2, ours);
    const refRate2 = await throughput(MEASURE_MS / 2, reference);
    return [
      {
        name: `lock acquire+release, redis, ${CONCURRENCY} concurrent loops (vs bare SET NX PX / DEL)`,
        ours: (oursRate + oursRate2) / 2,
        reference: (refRate + refRate2) / 2,
        unit: 'ops/s',
      },
    ];
  } finally {
    await locks.close();
    await deleteKeys(bare, `${prefix}*`);
    await bare.quit();
  }
}

if (require.main === module) runStandalone(run);
