/**
 * RabbitMQ objects behind one channel, all durable quorum queues on the default exchange:
 *
 *   <prefix>.<channel>              main queue; consumers read it with manual ack, prefetch = concurrency.
 *                                   x-delivery-limit = redeliveryLimit: a message returned more often
 *                                   (its consumers died) is dead-lettered to the .dlq.
 *   <prefix>.<channel>.dlq          dead letters; nobody consumes it. Listed with basic.get on a
 *                                   throwaway channel whose close returns the messages.
 *   <prefix>.<channel>.delay.<ms>   delay ladder (RabbitMQ 3.10 has no delayed-message exchange): every
 *                                   message in a step waits the same x-message-ttl, so no message blocks
 *                                   a shorter one behind it, then is dead-lettered back to the main queue.
 *                                   A delay is covered greedily by steps; the consumer sends a message
 *                                   that is not due yet on to the next step (`notBefore` in the envelope).
 *                                   Steps exist only while used (x-expires).
 *
 * Arguments are a pure function of the names and `redeliveryLimit`: every node declares identical
 * queues, because re-declaring with different arguments is 406 PRECONDITION_FAILED (channel closed).
 */

/** Delay steps in ms: 100 ms * 4^k, up to ~29 h. Longer delays take the top step several times. */
export const DELAY_STEPS_MS: readonly number[] = Array.from({ length: 11 }, (_, k) => 100 * 4 ** k);

/** A step queue is deleted by RabbitMQ after being unused (no declare, no consumer) this long past its TTL. */
const STEP_EXPIRY_MARGIN_MS = 15 * 60_000;

/** Publishers re-declare a step they have not declared for this long, which resets its x-expires clock. */
export const STEP_REDECLARE_MS = 5 * 60_000;

export interface ChannelQueues {
  readonly main: string;
  readonly dlq: string;
  step(ms: number): string;
}

export function channelQueues(prefix: string, channel: string): ChannelQueues {
  const main = `${prefix}.${channel}`;
  return { main, dlq: `${main}.dlq`, step: (ms) => `${main}.delay.${ms}` };
}

/** The largest step not longer than what is left; the smallest one for a remainder below it. */
export function delayStep(remainingMs: number): number {
  let chosen = DELAY_STEPS_MS[0] as number;
  for (const step of DELAY_STEPS_MS) if (step <= remainingMs) chosen = step;
  return chosen;
}

const QUORUM = { 'x-queue-type': 'quorum' } as const;

/** At-least-once dead-lettering (RabbitMQ >= 3.10) needs reject-publish overflow on the source queue. */
const SAFE_DEAD_LETTERING = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } as const;

export function mainArguments(queues: ChannelQueues, redeliveryLimit: number): Record<string, unknown> {
  return {
    ...QUORUM,
    ...SAFE_DEAD_LETTERING,
    'x-delivery-limit': redeliveryLimit,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queues.dlq,
  };
}

export function dlqArguments(): Record<string, unknown> {
  return { ...QUORUM };
}

export function stepArguments(queues: ChannelQueues, ms: number): Record<string, unknown> {
  return {
    ...QUORUM,
    ...SAFE_DEAD_LETTERING,
    'x-message-ttl': ms,
    'x-expires': ms + STEP_EXPIRY_MARGIN_MS,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queues.main,
  };
}
