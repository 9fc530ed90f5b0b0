import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { resolveQueue, type MessageQueue, type QueueOptions } from '../../index.js';
import { requireServices, SERVICES, type ServiceName } from '../../../../test/support/services.js';
import { waitFor } from '../support/async.js';

const FIXTURE = join(__dirname, '../fixtures/consumer.js');
const DIST = join(__dirname, '../../../../dist/shared/queue/index.js');

interface LogEntry {
  readonly event: 'start' | 'done';
  readonly id: string;
  readonly attempt: number;
  readonly pid: number;
}

const adapters: Array<[string, ServiceName, (prefix: string) => QueueOptions]> = [
  ['redis', 'redis', (prefix) => ({ type: 'redis', url: SERVICES.redis.url, prefix, lockDurationMs: 1500, stalledIntervalMs: 300, drainDelayMs: 1000 })],
  ['rabbitmq', 'rabbitmq', (prefix) => ({ type: 'rabbitmq', url: SERVICES.rabbitmq.url, prefix, reconnectDelayMs: 100 })],
];

describe.each(adapters)('a consumer process killed with SIGKILL mid-message (%s)', (_name, service, optionsFor) => {
  const options = optionsFor(`test-${randomUUID()}`);
  const channel = `c-${randomUUID()}`;
  const logFile = join(tmpdir(), `queue-kill-${randomUUID()}.log`);
  const children: ChildProcess[] = [];
  let publisher: MessageQueue;

  const entries = (): LogEntry[] =>
    existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as LogEntry)
      : [];

  /** Starts a consumer process and resolves once it has subscribed. */
  const consumer = async (mode: 'hang' | 'work', concurrency: number): Promise<ChildProcess> => {
    const child = spawn(process.execPath, [FIXTURE], {
      env: {
        ...process.env,
        QUEUE_OPTIONS: JSON.stringify(options),
        QUEUE_CHANNEL: channel,
        QUEUE_MODE: mode,
        QUEUE_CONCURRENCY: String(concurrency),
        QUEUE_LOG: logFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        if (line.includes('"ready":true')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`consumer exited with ${code} before subscribing: ${stderr}`)));
    });
    return child;
  };

  beforeAll(async () => {
    await requireServices(service);
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` before this test`);
    publisher = resolveQueue(options);
    await publisher.connect();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    await publisher?.deleteChannel(channel);
    await publisher?.close();
    rmSync(logFile, { force: true });
  });

  it('has its messages processed by another consumer process, none lost', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => publisher.publish(channel, { i })));

    const victim = await consumer('hang', 2);
    const taken = await waitFor('the victim holding 2 messages', () => {
      const started = entries().filter((e) => e.pid === victim.pid && e.event === 'start');
      return started.length === 2 && started.map((e) => e.id);
    });
    const survivor = await consumer('work', 4);
    await waitFor('the survivor finishing the other 18', () => entries().filter((e) => e.pid === survivor.pid && e.event === 'done').length === 18);

    victim.kill('SIGKILL');
    await waitFor('every message done', () => new Set(entries().filter((e) => e.event === 'done').map((e) => e.id)).size === ids.length);
    await waitFor('acks', async () => (await publisher.stats(channel)).inFlight === 0);

    const log = entries();
    const count = (id: string, event: LogEntry['event']) => log.filter((e) => e.id === id && e.event === event).length;
    for (const id of ids) expect(count(id, 'done')).toBe(1);
    for (const id of taken) {
      expect(count(id, 'start')).toBe(2); // the killed process's delivery and the redelivery
      expect(log.find((e) => e.id === id && e.event === 'done')?.pid).toBe(survivor.pid);
    }
    expect(log.filter((e) => e.event === 'start')).toHaveLength(ids.length + taken.length);
    expect(await publisher.stats(channel)).toMatchObject({ waiting: 0, delayed: 0, deadLettered: 0 });
  });
});
