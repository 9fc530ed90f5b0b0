import type { RabbitConnection } from './rabbitmq-connection.js';
import { backoffDelay } from './backoff.js';
import { encode, type RabbitEnvelope } from './rabbitmq-envelope.js';
import { queueConfig, queueUnavailable } from './queue-errors.js';
import { STEP_REDECLARE_MS, delayStep, dlqArguments, mainArguments, stepArguments, type ChannelQueues } from './rabbitmq-topology.js';

class Unroutable extends Error {
  constructor(queue: string) {
    super(`RabbitMQ queue ${queue} does not exist`);
    this.name = 'Unroutable';
  }
}

/**
 * Called when this process finds a channel's main queue deleted (by its own deleteChannel, or by another
 * node: a publish came back unroutable), before it declares the queue again. `since` is when that was
 * found; the listener drops the consumers on it that may predate the deletion.
 */
export type QueueVanished = (main: string, since: number) => Promise<void>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Declares queues and sends with publisher confirms: every send resolves only after the broker has
 * confirmed the message (persistent, on a quorum queue: replicated to a majority). Each message's
 * confirm callback is awaited, which is what waitForConfirms does for a whole batch.
 *
 * Deleted main queues (RabbitMQ 3.10): a consumer's channel hears that its quorum queue was deleted
 * some tens of milliseconds after the delete, and if by then a queue of that name exists again the
 * channel re-subscribes to it (a leftover of mirrored-queue fail-over) and also drops its state for it:
 * the new queue hands messages to that consumer, the channel passes none of them on, and no
 * basic.cancel ever comes. Those messages stay unacked until the channel closes. So a main queue this
 * process found deleted is declared again only after (1) this process's consumers that may predate the
 * deletion are closed (QueueVanished), which removes them broker side, and (2) `recreateDelayMs` has
 * passed since it was found, which lets the other nodes' consumers hear of the deletion first.
 */
export class RabbitPublisher {
  /** Queue name → when this process last declared it. */
  private readonly declared = new Map<string, number>();
  private readonly declaring = new Map<string, Promise<void>>();
  /** Main queue → when this process last found it deleted; not declared again before `recreateDelayMs` after. */
  private readonly vanishedAt = new Map<string, number>();
  /** Publisher channels with a 'return' listener, and the message ids they returned. */
  private readonly watched = new WeakSet<object>();
  private readonly returned = new Set<string>();

  constructor(
    private readonly conn: RabbitConnection,
    private readonly redeliveryLimit: number,
    private readonly timeoutMs: number,
    private readonly recreateDelayMs: number,
    private readonly onVanished: QueueVanished,
  ) {}

  /** Main queue and dead-letter queue of a channel (the .dlq first: it is the main queue's target). */
  async declareChannel(queues: ChannelQueues, force = false): Promise<void> {
    if (force) this.forget([queues.dlq, queues.main]);
    await this.declare(queues.dlq, dlqArguments(), Number.POSITIVE_INFINITY);
    await this.declare(queues.main, mainArguments(queues, this.redeliveryLimit), Number.POSITIVE_INFINITY);
  }

  /** True when this process declared the queue within `withinMs`. */
  declaredWithin(name: string, withinMs: number): boolean {
    const last = this.declared.get(name);
    return last !== undefined && Date.now() - last < withinMs;
  }

  forget(names: readonly string[]): void {
    for (const n of names) this.declared.delete(n);
  }

  /**
   * The channel's main queue is gone (deleted here or elsewhere): forget the channel's queues, drop this
   * process's consumers on it, and hold its re-declaration back for `recreateDelayMs`.
   */
  async mainVanished(queues: ChannelQueues): Promise<void> {
    const since = Date.now();
    this.forget([queues.dlq, queues.main]);
    this.vanishedAt.set(queues.main, since);
    await this.onVanished(queues.main, since);
  }

  /** Publishes to the main queue, or into the delay ladder when `notBefore` is still ahead. */
  async send(queues: ChannelQueues, env: RabbitEnvelope): Promise<void> {
    const remaining = env.notBefore === undefined ? 0 : env.notBefore - Date.now();
    const step = remaining > 0 ? delayStep(remaining) : undefined;
    const target = step === undefined ? queues.main : queues.step(step);
    const declare = async () => {
      await this.declareChannel(queues);
      if (step !== undefined) await this.declare(target, stepArguments(queues, step), STEP_REDECLARE_MS);
    };
    await this.deliver(queues, target, env, declare);
  }

  /**
   * Confirms into `target`; when someone deleted it since this process declared it, declares again, once.
   * If the main queue went too (the whole channel was deleted), its consumers here are dealt with first.
   */
  private async deliver(queues: ChannelQueues, target: string, env: RabbitEnvelope, declare: () => Promise<void>): Promise<void> {
    await declare();
    try {
      await this.confirm(target, env);
    } catch (err) {
      if (!(err instanceof Unroutable)) throw err;
      this.forget([queues.dlq, queues.main, target]);
      // A step queue also expires on its own (x-expires): only a missing main queue means consumers to restart.
      if (target === queues.main || !(await this.exists(queues.main))) await this.mainVanished(queues);
      await declare();
      await this.confirm(target, env);
    }
  }

  /** Passive check on a throwaway channel (a missing queue closes that channel with a 404). */
  private async exists(name: string): Promise<boolean> {
    try {
      await this.conn.withChannel(this.timeoutMs, (ch) => ch.checkQueue(name));
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return false;
      const { type } = err as { type?: unknown };
      if (typeof type === 'string' && type.startsWith('CB_ERR_')) throw err;
      throw queueUnavailable(`Cannot check RabbitMQ queue ${name}`, err);
    }
  }

  /** After failed attempt `failed`: the next attempt after backoff, or the .dlq once all are spent. */
  async failed(queues: ChannelQueues, env: RabbitEnvelope, failed: number, error: string): Promise<void> {
    if (failed < env.attempts) {
      await this.send(queues, { ...env, attempt: failed, notBefore: Date.now() + backoffDelay(env.backoff, failed), error: undefined });
    } else {
      const dead = { ...env, attempt: failed, notBefore: undefined, error, failedAt: Date.now() };
      await this.deliver(queues, queues.dlq, dead, () => this.declareChannel(queues));
    }
  }

  /** A dead letter back to the main queue with a fresh set of attempts. */
  async requeue(queues: ChannelQueues, env: RabbitEnvelope): Promise<void> {
    await this.send(queues, { ...env, attempt: 0, notBefore: undefined, error: undefined, failedAt: undefined });
  }

  /**
   * Publishes `mandatory`: a message no queue takes comes back (basic.return before the confirm), and is
   * reported as Unroutable instead of being confirmed into nowhere.
   */
  private async confirm(queue: string, env: RabbitEnvelope): Promise<void> {
    const ch = await this.conn.confirmChannel(this.timeoutMs);
    if (!this.watched.has(ch)) {
      this.watched.add(ch);
      ch.on('return', (msg: { properties: { messageId?: unknown } }) => {
        if (typeof msg.properties.messageId === 'string') this.returned.add(msg.properties.messageId);
      });
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(queueUnavailable(`RabbitMQ did not confirm the message within ${this.timeoutMs} ms`)), this.timeoutMs);
      try {
        ch.publish('', queue, encode(env), { persistent: true, mandatory: true, messageId: env.id, contentType: 'application/json' }, (err: unknown) => {
          clearTimeout(timer);
          if (err) reject(queueUnavailable('RabbitMQ did not accept the message', err));
          else if (this.returned.delete(env.id)) reject(new Unroutable(queue));
          else resolve();
        });
      } catch (err) {
        clearTimeout(timer);
        reject(queueUnavailable('RabbitMQ publisher channel is closed', err));
      }
    });
  }

  /**
   * Declares once per `refreshMs` (step queues expire when unused, so publishers refresh them). Runs on a
   * throwaway channel: a 406 from arguments that differ from the existing queue's closes only that.
   * A main queue found deleted lately waits out the rest of `recreateDelayMs` first (see the class).
   */
  private declare(name: string, args: Record<string, unknown>, refreshMs: number): Promise<void> {
    const last = this.declared.get(name);
    if (last !== undefined && Date.now() - last < refreshMs) return Promise.resolve();
    let p = this.declaring.get(name);
    if (!p) {
      const vanished = this.vanishedAt.get(name);
      const holdMs = vanished === undefined ? 0 : vanished + this.recreateDelayMs - Date.now();
      p = (holdMs > 0 ? sleep(holdMs) : Promise.resolve())
        .then(() =>
          this.conn.withChannel(this.timeoutMs, async (ch) => {
            await ch.assertQueue(name, { durable: true, arguments: args });
          }),
        )
        .then(
          () => {
            this.declared.set(name, Date.now());
            if (this.vanishedAt.get(name) === vanished) this.vanishedAt.delete(name);
          },
          (err: unknown) => {
            const { code, type } = err as { code?: unknown; type?: unknown };
            if (typeof type === 'string' && type.startsWith('CB_ERR_')) throw err;
            if (code === 406) {
              throw queueConfig(
                `RabbitMQ queue ${name} exists with different arguments (${(err as Error).message}). Every node must use ` +
                  `the same queue settings (redeliveryLimit = x-delivery-limit ${this.redeliveryLimit}); delete the queue or align the setting.`,
              );
            }
            throw queueUnavailable(`Cannot declare RabbitMQ queue ${name}`, err);
          },
        )
        .finally(() => this.declaring.delete(name));
      this.declaring.set(name, p);
    }
    return p;
  }
}
