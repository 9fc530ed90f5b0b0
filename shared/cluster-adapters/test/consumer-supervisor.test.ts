import { MemoryQueue, type ConsumerStatus, type MessageQueue, type Unsubscribe } from '../../queue/index.js';
import { taskChannel } from '../../tasks/index.js';
import { workflowChannel } from '../../workflow/index.js';
import { ConsumerSupervisor, processorKeyOf } from '../consumer-supervisor.js';

const log = { info: jest.fn(), error: jest.fn() };

/** A memory queue whose subscriptions report the status the test sets (a stalled broker loop). */
function stallable(): { queue: MessageQueue; subscribes: () => number; stall: (s: Partial<ConsumerStatus>) => void } {
  const inner = new MemoryQueue();
  let override: Partial<ConsumerStatus> | null = null;
  let count = 0;
  const queue: MessageQueue = Object.create(inner) as MessageQueue;
  queue.subscribe = async (channel, handler, options) => {
    count++;
    const real = await inner.subscribe(channel, handler, options);
    const mine = count;
    const status = (): ConsumerStatus => (override && mine === 1 ? { ...real.status(), ...override } : real.status());
    return Object.assign((o?: Parameters<Unsubscribe>[0]) => real(o), { status });
  };
  return { queue, subscribes: () => count, stall: (s) => (override = s) };
}

describe('ConsumerSupervisor', () => {
  test('knows the processor key of the workflow and task channels, and nothing else', () => {
    expect(processorKeyOf(workflowChannel('main'))).toBe('workflow:process');
    expect(processorKeyOf(taskChannel('shop'))).toBe('async-task:process');
    expect(processorKeyOf('metrics-probe')).toBeNull();
  });

  test('a consumer with no round within the bound is reported, re-created, and cleared once the new one proved a round', async () => {
    const { queue, subscribes, stall } = stallable();
    const supervisor = new ConsumerSupervisor(queue, { staleAfterMs: 60_000, log });
    const handle = await supervisor.subscribe(workflowChannel('main'), () => undefined);
    const t0 = Date.now();
    await supervisor.check(t0);
    expect(supervisor.problems('workflow:process')).toEqual([]);

    stall({ lastRoundAt: t0 - 1 });
    await supervisor.check(t0 + 61_000);
    expect(supervisor.problems('workflow:process')).toEqual([expect.stringMatching(/consumer of workflow\.main completed no poll or delivery round for \d+ s \(bound 60 s\)/)]);
    expect(subscribes()).toBe(2);
    expect(log.error).toHaveBeenCalledWith(expect.stringContaining('re-creating it'));

    await supervisor.check();
    expect(supervisor.problems('workflow:process')).toEqual([]);
    expect(handle.status()).toMatchObject({ channel: 'workflow.main', attached: true });
    await handle();
    expect(supervisor.keys().size).toBe(0);
    supervisor.close();
    await queue.close();
  });

  test('a consumer the adapter is reconnecting is reported but left to reconnect; past the bound it is re-created', async () => {
    const { queue, subscribes, stall } = stallable();
    const supervisor = new ConsumerSupervisor(queue, { staleAfterMs: 60_000, log });
    const handle = await supervisor.subscribe(workflowChannel('main'), () => undefined);
    const t0 = Date.now();
    stall({ attached: false, reason: 'no consumer channel (reconnecting)', recovering: true, lastRoundAt: t0 });
    await supervisor.check(t0 + 5_000);
    expect(supervisor.problems('workflow:process')).toEqual(['consumer of workflow.main stopped: no consumer channel (reconnecting)']);
    expect(subscribes()).toBe(1);
    expect(log.error).toHaveBeenLastCalledWith(expect.stringContaining('waiting for it to reconnect'));

    // Still not back a whole bound after its last round: a reconnect that does not finish is a stall.
    await supervisor.check(t0 + 61_000);
    expect(subscribes()).toBe(2);
    expect(log.error).toHaveBeenLastCalledWith(expect.stringContaining('re-creating it'));
    await supervisor.check();
    expect(supervisor.problems('workflow:process')).toEqual([]);
    await handle();
    supervisor.close();
    await queue.close();
  });

  test('a detached consumer is reported with its reason; other channels are not supervised', async () => {
    const { queue, stall } = stallable();
    const supervisor = new ConsumerSupervisor(queue, { staleAfterMs: 60_000, log });
    await supervisor.subscribe(taskChannel('main'), () => undefined);
    const other = await supervisor.subscribe('metrics-probe', () => undefined);
    expect([...supervisor.keys()]).toEqual(['async-task:process']);
    stall({ attached: false, reason: 'the broker no longer knows the consumer' });
    await supervisor.check();
    expect(supervisor.problems('async-task:process')).toEqual(['consumer of async-task:process:main stopped: the broker no longer knows the consumer']);
    await other();
    supervisor.close();
    await queue.close();
  });
});
