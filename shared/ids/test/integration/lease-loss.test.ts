import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SERVICES, requireServices } from '../../../../test/support/services.js';
import { resolveWorkerIdAllocator, type LeaseLostEvent, type WorkerIdAllocator } from '../../../worker-id/index.js';
import { TcpProxy } from '../../../worker-id/test/tcp-proxy.js';
import { NoWorkerIdError, createSnowflake, decodeId } from '../../index.js';

const LEASE_MS = 300;

function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the generator to refuse');
}

describe('a generator on a Redis worker-ID lease', () => {
  const prefix = `test-${randomUUID()}`;
  const opened: WorkerIdAllocator[] = [];
  const proxies: TcpProxy[] = [];
  let admin: Redis;

  beforeAll(async () => {
    await requireServices('redis');
    admin = new Redis(SERVICES.redis.url);
  });

  afterAll(async () => {
    await Promise.all(opened.map((a) => a.close()));
    await Promise.all(proxies.map((p) => p.cut()));
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  const allocator = (url = SERVICES.redis.url): WorkerIdAllocator => {
    const a = resolveWorkerIdAllocator({ type: 'redis', url, prefix, leaseMs: LEASE_MS });
    opened.push(a);
    return a;
  };

  it('embeds the leased worker ID', async () => {
    const a = allocator();
    const id = await a.acquire();
    expect(decodeId(createSnowflake({ workerIds: a }).next()).workerId).toBe(id);
  });

  it('stops issuing once the lease is taken over in Redis', async () => {
    const a = allocator();
    const id = await a.acquire();
    const generator = createSnowflake({ workerIds: a });
    generator.next();
    const lost = new Promise<LeaseLostEvent>((resolve) => a.onLost(resolve));
    await admin.set(`${prefix}:worker-id:${id}`, `held:${Date.now() + 60_000}:intruder`, 'PX', 120_000);
    expect(await lost).toMatchObject({ workerId: id, reason: 'taken' });
    const error = refusal(() => generator.next());
    expect(error).toBeInstanceOf(NoWorkerIdError);
    expect((error as NoWorkerIdError).type).toBe('CB_ERR_ID_NO_WORKER_ID');
  });

  it('stops issuing once Redis stays unreachable past the lease', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(SERVICES.redis.url).port || 6379));
    proxies.push(proxy);
    await proxy.start();
    const a = allocator(proxy.url);
    await a.acquire();
    const generator = createSnowflake({ workerIds: a });
    generator.next();
    const lost = new Promise<LeaseLostEvent>((resolve) => a.onLost(resolve));
    await proxy.cut();
    expect(await lost).toMatchObject({ reason: 'expired' });
    expect(refusal(() => generator.next())).toBeInstanceOf(NoWorkerIdError);
  });

  it('stops issuing at once on release', async () => {
    const a = allocator();
    await a.acquire();
    const generator = createSnowflake({ workerIds: a });
    generator.next();
    await a.release();
    expect(refusal(() => generator.next())).toBeInstanceOf(NoWorkerIdError);
  });
});
