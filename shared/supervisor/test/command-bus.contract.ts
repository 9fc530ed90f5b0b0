import { randomUUID } from 'node:crypto';
import type { Command, CommandBus } from '../types';

const command = (overrides: Partial<Command> = {}): Command => ({
  id: randomUUID(),
  type: 'start',
  app: 'shop',
  config: { name: 'shop', displayName: 'Shop', database: { kind: 'schema', schema: 'app_shop' }, environments: ['env_a'] },
  ackBy: Date.now() + 1000,
  ...overrides,
});

/** The command bus contract, run against every adapter. */
export function commandBusContract(name: string, make: () => Promise<CommandBus>): void {
  describe(`${name} command bus`, () => {
    let bus: CommandBus;
    let env: string;
    beforeEach(async () => {
      bus = await make();
      env = `env_${randomUUID().slice(0, 8)}`;
    });
    afterEach(async () => {
      await bus.close();
    });

    test('a served command is acknowledged, executed once and its outcome returned', async () => {
      const seen: string[] = [];
      await bus.serve(env, async (c) => {
        seen.push(c.id);
      });
      const acks: number[] = [];
      const c = command();
      const outcome = await bus.send(env, c, { ackTimeoutMs: 1000, timeoutMs: 1000, onAck: () => acks.push(1) });
      expect(outcome).toMatchObject({ id: c.id, status: 'succeeded', error: null });
      expect(outcome.acknowledgedAt).not.toBeNull();
      expect(acks).toEqual([1]);
      expect(seen).toEqual([c.id]);
    });

    test('a handler failure is recorded as failed with its reason', async () => {
      await bus.serve(env, async () => {
        throw new Error('migration 0004 failed');
      });
      const outcome = await bus.send(env, command(), { ackTimeoutMs: 1000, timeoutMs: 1000 });
      expect(outcome).toMatchObject({ status: 'failed', error: 'migration 0004 failed' });
    });

    test('nobody serving: timeout without acknowledgement, and the command never runs later', async () => {
      const c = command({ ackBy: Date.now() + 300 });
      const outcome = await bus.send(env, c, { ackTimeoutMs: 300, timeoutMs: 1000 });
      expect(outcome).toMatchObject({ status: 'timeout', acknowledgedAt: null });
      expect(outcome.error).toContain('did not acknowledge');
      const seen: string[] = [];
      await bus.serve(env, async (x) => {
        seen.push(x.id);
      });
      const next = command();
      expect((await bus.send(env, next, { ackTimeoutMs: 1000, timeoutMs: 1000 })).status).toBe('succeeded');
      expect(seen).toEqual([next.id]);
    });

    test('acknowledged but too slow: timeout after the ack', async () => {
      await bus.serve(env, () => new Promise((r) => setTimeout(r, 800)));
      const outcome = await bus.send(env, command(), { ackTimeoutMs: 1000, timeoutMs: 200 });
      expect(outcome.status).toBe('timeout');
      expect(outcome.acknowledgedAt).not.toBeNull();
    });

    test('commands for one environment do not reach another', async () => {
      const seen: string[] = [];
      await bus.serve(`${env}_other`, async (c) => {
        seen.push(c.id);
      });
      const outcome = await bus.send(env, command({ ackBy: Date.now() + 200 }), { ackTimeoutMs: 200, timeoutMs: 200 });
      expect(outcome.status).toBe('timeout');
      expect(seen).toEqual([]);
    });
  });
}
