import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { SERVICES, requireServices } from '../../../../test/support/services.js';

const FIXTURE = join(__dirname, '..', 'fixtures', 'race-for-worker-id.js');
const PROCESSES = 40;

interface RaceResult {
  readonly pid: number;
  readonly ok: boolean;
  readonly workerId?: number;
  readonly type?: string;
  readonly message?: string;
  readonly data?: { held: number; coolingDown: number };
}

/** Resolves with the child's first stdout line as JSON; rejects if it exits first. */
function firstLine(child: ChildProcess): Promise<RaceResult> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(JSON.parse(line) as RaceResult));
    child.once('exit', (code) => reject(new Error(`fixture ${child.pid} exited (${code}) before answering`)));
  });
}

describe('40 processes racing for worker IDs on Redis', () => {
  const prefix = `test-${randomUUID()}`;
  const children: ChildProcess[] = [];
  let admin: Redis;

  beforeAll(async () => {
    await requireServices('redis');
    admin = new Redis(SERVICES.redis.url);
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('leases exactly 32 distinct IDs and gives the other 8 a clear refusal', async () => {
    for (let i = 0; i < PROCESSES; i++) {
      children.push(
        spawn(process.execPath, [FIXTURE], {
          stdio: ['pipe', 'pipe', 'inherit'],
          // The lease outlives the slowest start on a busy machine; renewals keep it anyway.
          env: { ...process.env, FIXTURE_REDIS_URL: SERVICES.redis.url, FIXTURE_PREFIX: prefix, FIXTURE_LEASE_MS: '10000' },
        }),
      );
    }
    const results = await Promise.all(children.map(firstLine));

    const winners = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    expect(winners).toHaveLength(32);
    expect(new Set(winners.map((r) => r.workerId))).toEqual(new Set(Array.from({ length: 32 }, (_, i) => i)));
    expect(refused).toHaveLength(8);
    for (const refusal of refused) {
      expect(refusal.type).toBe('CB_ERR_WORKER_ID_EXHAUSTED');
      expect(refusal.message).toContain('All 32 worker IDs are leased');
      expect(refusal.message).toContain('32 held by running nodes');
      expect(refusal.message).toContain('Stop or scale down nodes');
      expect(refusal.data).toEqual(expect.objectContaining({ held: 32, coolingDown: 0 }));
    }

    // Winners release on stdin end and exit cleanly; their IDs are left as tombstones.
    const exits = children.map((child) => new Promise<number | null>((resolve) => child.once('exit', resolve)));
    for (const child of children) child.stdin!.end();
    expect(await Promise.all(exits)).toEqual(Array.from({ length: PROCESSES }, () => 0));
    const values = await admin.mget(Array.from({ length: 32 }, (_, i) => `${prefix}:worker-id:${i}`));
    expect(values.every((v) => v !== null && v.startsWith('released:'))).toBe(true);
  });
});
