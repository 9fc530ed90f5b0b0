import type { ConsumeMessage, GetMessage } from 'amqplib';
import type { BackoffOptions, DeadLetter } from './types.js';
import { EnvelopeError, decodeEnvelope, rawPayload, type Envelope } from './envelope.js';
import { errorText } from './queue-errors.js';

/**
 * RabbitMQ keeps no job record, so the retry policy and progress travel in the message itself:
 * failures so far, the policy, when it may be delivered, and (in the .dlq) why it died.
 */
export interface RabbitEnvelope extends Envelope {
  readonly attempt: number;
  readonly attempts: number;
  readonly backoff: BackoffOptions;
  readonly notBefore?: number;
  readonly error?: string;
  readonly failedAt?: number;
}

export function parseRabbitEnvelope(content: Buffer): RabbitEnvelope {
  const env = decodeEnvelope(content);
  const int = (name: string, min: number) => {
    const v = env[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new EnvelopeError(`bad ${name}`);
  };
  int('attempt', 0);
  int('attempts', 1);
  const b = env.backoff as Partial<BackoffOptions> | undefined;
  if (!b || (b.type !== 'fixed' && b.type !== 'exponential') || typeof b.delayMs !== 'number' || !(b.delayMs >= 0)) {
    throw new EnvelopeError('bad backoff');
  }
  if (env.notBefore !== undefined && typeof env.notBefore !== 'number') throw new EnvelopeError('bad notBefore');
  return env as unknown as RabbitEnvelope;
}

export function encode(env: RabbitEnvelope): Buffer {
  return Buffer.from(JSON.stringify(env));
}

interface XDeath {
  reason?: unknown;
  time?: unknown;
}

function firstDeath(msg: ConsumeMessage | GetMessage): XDeath | undefined {
  const deaths = msg.properties.headers?.['x-death'] as unknown;
  return Array.isArray(deaths) && deaths.length > 0 ? (deaths[0] as XDeath) : undefined;
}

function deathTime(death: XDeath | undefined): number {
  const t = death?.time as unknown;
  if (typeof t === 'number') return t * 1000;
  if (t && typeof t === 'object' && typeof (t as { value?: unknown }).value === 'number') return (t as { value: number }).value * 1000;
  return 0;
}

/** A .dlq message as a listing entry: our own dead letters carry the error; broker ones the x-death reason. */
export function deadLetterOf(msg: GetMessage): DeadLetter {
  const death = firstDeath(msg);
  const reason = typeof death?.reason === 'string' ? death.reason : undefined;
  try {
    const env = parseRabbitEnvelope(msg.content);
    if (env.error !== undefined) {
      return { id: env.id, message: env.body, error: env.error, attempts: env.attempt, failedAt: env.failedAt ?? 0 };
    }
    const error = reason === 'delivery_limit' ? 'delivered too many times without an outcome (x-delivery-limit)' : `dead-lettered by RabbitMQ: ${reason ?? 'unknown reason'}`;
    return { id: env.id, message: env.body, error, attempts: env.attempt, failedAt: deathTime(death) };
  } catch (err) {
    const id = typeof msg.properties.messageId === 'string' && msg.properties.messageId ? msg.properties.messageId : `raw-${msg.fields.deliveryTag}`;
    return { id, message: rawPayload(msg.content), error: errorText(err), attempts: 0, failedAt: deathTime(death) };
  }
}
