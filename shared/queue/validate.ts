import type { BackoffOptions, CloseOptions, PublishOptions, QueueCommonOptions, SubscribeOptions } from './types.js';
import { invalidArgument, queueConfig } from './queue-errors.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,99}$/;

/** Channel names: letters, digits, `_ . : -`, at most 100; they become Redis keys and RabbitMQ queue names. */
export function checkChannel(channel: unknown): string {
  if (typeof channel !== 'string' || !NAME.test(channel)) {
    throw invalidArgument(`Invalid queue channel name ${JSON.stringify(channel)}: use letters, digits, _ . : - (at most 100)`);
  }
  return channel;
}

function positiveInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function delay(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 2 ** 31 * 1000) {
    throw invalidArgument(`${name} must be a number of milliseconds >= 0, got ${JSON.stringify(value)}`);
  }
  return Math.ceil(value);
}

export function checkBackoff(value: unknown, name = 'backoff'): BackoffOptions {
  const b = value as Partial<BackoffOptions> | null;
  if (typeof b !== 'object' || b === null || (b.type !== 'fixed' && b.type !== 'exponential')) {
    throw invalidArgument(`${name} must be { type: 'fixed' | 'exponential', delayMs }`);
  }
  return { type: b.type, delayMs: delay(`${name}.delayMs`, b.delayMs) };
}

export interface ResolvedPublish {
  readonly delayMs: number;
  readonly attempts: number;
  readonly backoff: BackoffOptions;
  readonly jobId: string | undefined;
}

export function checkPublishOptions(options: PublishOptions | undefined, defaults: ResolvedCommon): ResolvedPublish {
  const o = options ?? {};
  const jobId = o.jobId;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (jobId !== undefined && (typeof jobId !== 'string' || jobId.length < 1 || jobId.length > 200 || /[\u0000-\u001f]/.test(jobId))) {
    throw invalidArgument('jobId must be a string of 1 to 200 characters without control characters');
  }
  return {
    delayMs: o.delayMs === undefined ? 0 : delay('delayMs', o.delayMs),
    attempts: o.attempts === undefined ? defaults.defaultAttempts : positiveInt('attempts', o.attempts, 1, 1000),
    backoff: o.backoff === undefined ? defaults.defaultBackoff : checkBackoff(o.backoff),
    jobId,
  };
}

export function checkConcurrency(options: SubscribeOptions | undefined): number {
  return options?.concurrency === undefined ? 1 : positiveInt('concurrency', options.concurrency, 1, 10_000);
}

export function checkLimit(limit: number | undefined): number {
  return limit === undefined ? 100 : positiveInt('limit', limit, 1, 100_000);
}

export interface ResolvedClose {
  readonly graceful: boolean;
  readonly timeoutMs: number | undefined;
}

export function checkClose(options: CloseOptions | undefined): ResolvedClose {
  const timeoutMs = options?.timeoutMs;
  if (timeoutMs !== undefined) delay('timeoutMs', timeoutMs);
  return { graceful: options?.graceful !== false, timeoutMs };
}

export type ResolvedCommon = Required<Omit<QueueCommonOptions, 'logger'>> & Pick<QueueCommonOptions, 'logger'>;

/** Applies defaults and refuses nonsense at construction: a configuration error, not a late failure. */
export function resolveCommon(options: QueueCommonOptions): ResolvedCommon {
  const prefix = options.prefix ?? 'cb';
  if (!NAME.test(prefix)) throw queueConfig(`Invalid queue prefix ${JSON.stringify(prefix)}: use letters, digits, _ . : -`);
  const intOption = (name: keyof QueueCommonOptions, value: unknown, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw queueConfig(`Queue option ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  let defaultBackoff: BackoffOptions;
  try {
    defaultBackoff = options.defaultBackoff === undefined ? { type: 'exponential', delayMs: 1000 } : checkBackoff(options.defaultBackoff, 'defaultBackoff');
  } catch (err) {
    throw queueConfig(err instanceof Error ? err.message : String(err));
  }
  return {
    prefix,
    defaultAttempts: intOption('defaultAttempts', options.defaultAttempts, 3, 1, 1000),
    defaultBackoff,
    completedRetentionMs: intOption('completedRetentionMs', options.completedRetentionMs, 3_600_000, 0, 2 ** 31),
    completedRetentionCount: intOption('completedRetentionCount', options.completedRetentionCount, 10_000, 0, 10_000_000),
    redeliveryLimit: intOption('redeliveryLimit', options.redeliveryLimit, 5, 0, 1000),
    logger: options.logger,
    consumerProbeMs: intOption('consumerProbeMs', options.consumerProbeMs, 5000, 10, 3_600_000),
  };
}

/** Integer option in milliseconds, for adapter-specific intervals. */
export function msOption(name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 31) {
    throw queueConfig(`Queue option ${name} must be an integer number of milliseconds >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}
