import { invalidMessage } from './queue-errors.js';

/**
 * What travels on the wire around every message, on every adapter. A payload that does not parse to
 * this shape (another producer, a corrupted entry, an old format) is dead-lettered, never handed to a
 * handler. `v` changes only with a migration path for messages already queued.
 */
export interface Envelope {
  readonly v: 1;
  readonly id: string;
  readonly body: unknown;
  /** Epoch milliseconds, publisher's clock. */
  readonly publishedAt: number;
}

export class EnvelopeError extends Error {
  constructor(detail: string) {
    super(`Not a clusterbase queue envelope: ${detail}`);
    this.name = 'EnvelopeError';
  }
}

/** JSON text of a message; refuses what JSON cannot carry instead of silently sending `{}` or nothing. */
export function bodyJson(message: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(message);
  } catch (err) {
    throw invalidMessage(err instanceof Error ? err.message : String(err));
  }
  if (json === undefined) throw invalidMessage(`${typeof message} has no JSON form`);
  return json;
}

/** Wire text of an envelope whose body is already JSON text (one stringify per publish). */
export function envelopeJson(id: string, body: string, publishedAt: number, extra?: Record<string, unknown>): string {
  const head = JSON.stringify({ v: 1, id, publishedAt, ...extra });
  return `${head.slice(0, -1)},"body":${body}}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a parsed payload; returns it typed. Adapter-specific fields are checked by the adapter. */
export function parseEnvelope(value: unknown): Envelope & Record<string, unknown> {
  if (!isRecord(value)) throw new EnvelopeError(`expected an object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  if (value.v !== 1) throw new EnvelopeError(`unknown version ${JSON.stringify(value.v)}`);
  if (typeof value.id !== 'string' || value.id.length === 0) throw new EnvelopeError('missing id');
  if (!('body' in value)) throw new EnvelopeError('missing body');
  if (typeof value.publishedAt !== 'number' || !Number.isFinite(value.publishedAt)) throw new EnvelopeError('missing publishedAt');
  return value as Envelope & Record<string, unknown>;
}

export function decodeEnvelope(raw: string | Buffer): Envelope & Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw new EnvelopeError('payload is not JSON');
  }
  return parseEnvelope(parsed);
}

/** For dead-letter listings: the raw payload as readable as it gets. */
export function rawPayload(raw: string | Buffer): unknown {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
