/**
 * Snowflake IDs per second from one generator: ours (shared/ids, on a memory worker-ID lease, so the
 * per-ID lease check is included) against `@nocobase/snowflake-id`, in the same run.
 *
 * Both are capacity-bound, not CPU-bound: ours issues 128 IDs per millisecond (7 sequence bits) and
 * waits for the next millisecond; NocoBase's issues 65,536 per second (16 sequence bits on second
 * timestamps) and spins until the next second. Each side is measured over whole seconds, starting on a
 * second boundary, so NocoBase's per-second quota is counted exactly as often as it renews.
 * Run: `npx tsx test/bench/ids.bench.ts`.
 */
import { Snowflake } from '@nocobase/snowflake-id';
import { createSnowflake } from '../../shared/ids/index.js';
import { MemoryLeaseStore, resolveWorkerIdAllocator } from '../../shared/worker-id/index.js';
import { runStandalone } from './support/standalone';

export interface BenchResult {
  name: string;
  ours: number;
  reference: number;
  unit: string;
}

const WINDOW_S = 2;

function waitForSecondBoundary(): number {
  const next = Math.ceil((Date.now() + 1) / 1000) * 1000;
  while (Date.now() < next);
  return next;
}

/** IDs per second that `next` sustains over WINDOW_S whole seconds; checks they strictly increase. */
function sustained(next: () => number): number {
  const start = waitForSecondBoundary();
  const end = start + WINDOW_S * 1000;
  let count = 0;
  let last = -1;
  while (Date.now() < end) {
    const id = next();
    if (!(id > last)) throw new Error(`IDs out of order: ${id} after ${last}`);
    last = id;
    count++;
  }
  return count / WINDOW_S;
}

export async function run(): Promise<BenchResult[]> {
  const allocator = resolveWorkerIdAllocator({ type: 'memory', store: new MemoryLeaseStore(), leaseMs: 60_000 });
  const workerId = await allocator.acquire();
  try {
    const ours = createSnowflake({ workerIds: allocator });
    const reference = new Snowflake({ workerId });
    // Warm both up (JIT) outside the measured windows.
    for (let i = 0; i < 1000; i++) ours.next();
    for (let i = 0; i < 1000; i++) reference.generate();
    const oursRate = sustained(() => ours.next());
    const referenceRate = sustained(() => reference.generate());
    return [{ name: 'snowflake IDs per second, one generator (vs @nocobase/snowflake-id)', ours: oursRate, reference: referenceRate, unit: 'IDs/s' }];
  } finally {
    await allocator.close();
  }
}

if (require.main === module) runStandalone(run);
