import { randomUUID } from 'node:crypto';
import { RedisCommandBus } from '../../redis-command-bus';
import { requireServices, SERVICES } from '../../../../test/support/services';
import { commandBusContract } from '../command-bus.contract';

const log = { warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  await requireServices('redis');
});

commandBusContract('redis', async () => {
  const bus = new RedisCommandBus(SERVICES.redis.url, `cb:test-${randomUUID()}:apps:`, log);
  await bus.connect();
  return bus;
});

test('one environment of several nodes: each command is executed by exactly one of them', async () => {
  const prefix = `cb:test-${randomUUID()}:apps:`;
  const buses = [new RedisCommandBus(SERVICES.redis.url, prefix, log), new RedisCommandBus(SERVICES.redis.url, prefix, log), new RedisCommandBus(SERVICES.redis.url, prefix, log)];
  await Promise.all(buses.map((b) => b.connect()));
  const runs = new Map<string, number>();
  try {
    for (const b of buses.slice(1)) {
      await b.serve('env_a', async (c) => {
        runs.set(c.id, (runs.get(c.id) ?? 0) + 1);
      });
    }
    const ids = Array.from({ length: 10 }, () => randomUUID());
    const outcomes = await Promise.all(
      ids.map((id) =>
        buses[0]!.send('env_a', { id, type: 'stop', app: 'a', config: { name: 'a', displayName: 'a', database: { kind: 'schema', schema: 'app_a' }, environments: ['env_a'] }, ackBy: Date.now() + 2000 }, { ackTimeoutMs: 2000, timeoutMs: 2000 }),
      ),
    );
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
    expect(ids.map((id) => runs.get(id))).toEqual(ids.map(() => 1));
  } finally {
    await Promise.all(buses.map((b) => b.close()));
  }
});
