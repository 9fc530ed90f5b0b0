import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import { decodeId } from '../../index.js';

const FIXTURE = join(__dirname, '..', 'fixtures', 'generate-ids.js');
const NODES = 4;
const PER_NODE = 1_000_000;

interface NodeResult {
  readonly ok: boolean;
  readonly workerId?: number;
  readonly count?: number;
  readonly message?: string;
}

function run(child: ChildProcess): Promise<{ code: number | null; result: NodeResult | null }> {
  return new Promise((resolve) => {
    let result: NodeResult | null = null;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      result = JSON.parse(line) as NodeResult;
    });
    child.once('close', (code) => resolve({ code, result }));
  });
}

// A hang guard, not a speed limit: 4M IDs are at least 8 s of ID time per node by design (128 per ms),
// and on a shared 2-core machine the four processes can take far longer than the default guard.
jest.setTimeout(600_000);

describe('4 nodes × 1,000,000 IDs', () => {
  const prefix = `test-${randomUUID()}`;
  const dir = mkdtempSync(join(tmpdir(), 'cb-ids-'));
  const children: ChildProcess[] = [];
  let admin: Redis;

  beforeAll(async () => {
    await requireServices('redis');
    admin = new Redis(SERVICES.redis.url);
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('issue 4,000,000 IDs between them, each node with its own worker ID, without a single duplicate', async () => {
    const files = Array.from({ length: NODES }, (_, i) => join(dir, `node-${i}.f64`));
    for (const file of files) {
      children.push(
        spawn(process.execPath, [FIXTURE], {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: {
            ...process.env,
            FIXTURE_REDIS_URL: SERVICES.redis.url,
            FIXTURE_PREFIX: prefix,
            FIXTURE_LEASE_MS: '3000',
            FIXTURE_COUNT: String(PER_NODE),
            FIXTURE_OUT: file,
          },
        }),
      );
    }
    const outcomes = await Promise.all(children.map(run));
    for (const { code, result } of outcomes) {
      expect(result).toEqual(expect.objectContaining({ ok: true, count: PER_NODE }));
      expect(code).toBe(0);
    }
    const workerIds = outcomes.map(({ result }) => result!.workerId!);
    expect(new Set(workerIds).size).toBe(NODES);

    const all = new Float64Array(NODES * PER_NODE);
    files.forEach((file, node) => {
      const bytes = readFileSync(file);
      const ids = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
      expect(ids.length).toBe(PER_NODE);
      let increasing = true;
      for (let i = 1; i < ids.length; i++) if (!(ids[i]! > ids[i - 1]!)) increasing = false;
      expect(increasing).toBe(true);
      expect(decodeId(ids[0]!).workerId).toBe(workerIds[node]);
      expect(decodeId(ids[PER_NODE - 1]!).workerId).toBe(workerIds[node]);
      all.set(ids, node * PER_NODE);
    });

    all.sort();
    let duplicates = 0;
    let unsafe = 0;
    for (let i = 0; i < all.length; i++) {
      if (!Number.isSafeInteger(all[i]!)) unsafe++;
      if (i > 0 && all[i] === all[i - 1]) duplicates++;
    }
    expect(unsafe).toBe(0);
    expect(duplicates).toBe(0);
  });
});
