import type { Redis } from 'ioredis';
import { createRedisClient } from '../redis/index.js';
import type { Command, CommandBus, CommandHandler, CommandOutcome } from './types.js';
import { runWithin } from './timeouts.js';
import type { Logger } from '../errors/index.js';

type Log = Pick<Logger, 'warn' | 'error'>;

type Reply = { type: 'ack'; at: number } | { type: 'done'; status: 'succeeded' | 'failed' | 'timeout'; error: string | null; at: number };

/** How long a reply list outlives its command, so a late reader still finds it and Redis still forgets it. */
const REPLY_TTL_SEC = 3600;

/**
 * Commands over Redis lists. The sender pushes the command on `<prefix>cmd:<environment>` and waits on
 * `<prefix>reply:<id>` with BLPOP: first an `ack` within the ack timeout, then a `done` with the
 * outcome. An unacknowledged command is removed from the list, and an environment never starts one
 * whose `ackBy` has passed, so a command the sender gave up on never runs later. One environment may be
 * several nodes: each command is popped by exactly one of them.
 */
export class RedisCommandBus implements CommandBus {
  private readonly client: Redis;
  private readonly servers = new Set<() => Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly log: Log,
  ) {
    this.client = createRedisClient(url, { user: 'The redis command bus', maxRetriesPerRequest: 3 });
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  private blocking(): Redis {
    return createRedisClient(this.url, { user: 'The redis command bus', lazyConnect: false, maxRetriesPerRequest: null });
  }

  private async pop(conn: Redis, key: string, ms: number): Promise<Reply | null> {
    const res = await conn.blpop(key, Math.max(0.01, ms / 1000));
    return res ? (JSON.parse(res[1]) as Reply) : null;
  }

  async send(environment: string, command: Command, opts: { ackTimeoutMs: number; timeoutMs: number; onAck?: () => void }): Promise<CommandOutcome> {
    const text = JSON.stringify(command);
    const replies = `${this.prefix}reply:${command.id}`;
    const conn = this.blocking();
    try {
      await this.client.lpush(`${this.prefix}cmd:${environment}`, text);
      const ack = await this.pop(conn, replies, Math.max(0, command.ackBy - Date.now()));
      if (!ack) {
        await this.client.lrem(`${this.prefix}cmd:${environment}`, 1, text);
        return { id: command.id, status: 'timeout', error: `environment "${environment}" did not acknowledge the command within ${opts.ackTimeoutMs} ms`, acknowledgedAt: null, finishedAt: Date.now() };
      }
      opts.onAck?.();
      const done = ack.type === 'done' ? ack : await this.pop(conn, replies, opts.timeoutMs);
      if (!done || done.type !== 'done') {
        return { id: command.id, status: 'timeout', error: `environment "${environment}" gave no outcome within ${opts.timeoutMs} ms`, acknowledgedAt: ack.at, finishedAt: Date.now() };
      }
      return { id: command.id, status: done.status, error: done.error, acknowledgedAt: ack.at, finishedAt: done.at };
    } finally {
      conn.disconnect();
    }
  }

  async serve(environment: string, handler: CommandHandler): Promise<() => Promise<void>> {
    const conn = this.blocking();
    let running = true;
    const reply = async (id: string, r: Reply) => {
      const key = `${this.prefix}reply:${id}`;
      await this.client.multi().rpush(key, JSON.stringify(r)).expire(key, REPLY_TTL_SEC).exec();
    };
    const loop = (async () => {
      while (running) {
        let popped: [string, string] | null;
        try {
          popped = await conn.brpop(`${this.prefix}cmd:${environment}`, 1);
        } catch (err) {
          if (!running) break;
          this.log.warn(`command channel of environment ${environment}: ${(err as Error).message}; retrying`);
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        if (!popped) continue;
        let command: Command;
        try {
          command = JSON.parse(popped[1]) as Command;
        } catch {
          this.log.error(`environment ${environment}: dropped a command that is not JSON`);
          continue;
        }
        if (Date.now() > command.ackBy) {
          this.log.warn(`environment ${environment}: dropped command ${command.id} (${command.type} ${command.app}): its sender stopped waiting`);
          continue;
        }
        await reply(command.id, { type: 'ack', at: Date.now() });
        // The sender enforces the outcome timeout; the handler runs to its end either way.
        const result = await runWithin(handler(command), 24 * 3600 * 1000);
        await reply(command.id, { type: 'done', status: result.status, error: result.error, at: Date.now() }).catch((err: Error) =>
          this.log.error(`environment ${environment}: could not report the outcome of ${command.id}: ${err.message}`),
        );
      }
    })();
    const stop = async () => {
      running = false;
      conn.disconnect();
      await loop.catch(() => undefined);
      this.servers.delete(stop);
    };
    this.servers.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers].map((s) => s()));
    this.client.disconnect();
  }
}
