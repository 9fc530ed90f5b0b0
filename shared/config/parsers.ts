import { parseRedisUrl } from '../redis/index.js';

/**
 * Parsers for env values. Each returns the typed value or throws an Error whose message is the reason,
 * phrased to follow "<NAME>: ".
 */

export function text(raw: string | undefined): string {
  return raw ?? '';
}

export function optionalText(raw: string | undefined): string | undefined {
  return raw === undefined || raw === '' ? undefined : raw;
}

export function integer(min: number, max: number) {
  return (raw: string | undefined): number => {
    const value = Number(raw);
    if (raw === undefined || !/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) {
      throw new Error(`must be a whole number between ${min} and ${max}, got "${raw ?? ''}"`);
    }
    if (value < min || value > max) throw new Error(`must be between ${min} and ${max}, got ${value}`);
    return value;
  };
}

/** A TCP port; 0 lets the OS pick one (useful in tests; the chosen port is logged). */
export const port = integer(0, 65535);

/** A duration given in seconds (decimals allowed), returned in milliseconds. */
export function seconds(min: number, max: number) {
  return (raw: string | undefined): number => {
    const value = Number(raw);
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(value)) {
      throw new Error(`must be a number of seconds, got "${raw ?? ''}"`);
    }
    if (value < min || value > max) throw new Error(`must be between ${min} and ${max} seconds, got ${value}`);
    return Math.round(value * 1000);
  };
}

export function oneOf<const T extends string>(values: readonly T[]) {
  return (raw: string | undefined): T => {
    const value = (raw ?? '').trim().toLowerCase();
    if (!(values as readonly string[]).includes(value)) {
      throw new Error(`must be one of ${values.join(', ')}, got "${raw ?? ''}"`);
    }
    return value as T;
  };
}

const SIZE = /^(\d+)\s*(b|kb|mb|gb)?$/i;
const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A byte size: `1048576`, `512kb`, `10mb`. */
export function bytes(raw: string | undefined): number {
  const match = SIZE.exec((raw ?? '').trim());
  if (!match) throw new Error(`must be a size like 1048576, 512kb or 10mb, got "${raw ?? ''}"`);
  const value = Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!;
  if (value < 1) throw new Error('must be at least 1 byte');
  return value;
}

/** An optional URL whose scheme is one of `schemes` (without the colon). Secrets in it are never echoed. */
export function url(schemes: readonly string[]) {
  return (raw: string | undefined): URL | undefined => {
    if (raw === undefined || raw.trim() === '') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw.trim());
    } catch {
      throw new Error(`is not a valid URL (expected ${schemes.map((s) => `${s}://…`).join(' or ')})`);
    }
    const scheme = parsed.protocol.replace(/:$/, '');
    if (!schemes.includes(scheme)) {
      throw new Error(`has scheme "${scheme}", expected ${schemes.join(' or ')}`);
    }
    return parsed;
  };
}

/** A name usable as a Moleculer namespace, node ID or schema: letters, digits, `_`, `-`, `.`. */
export function identifier(maxLength: number) {
  return (raw: string | undefined): string => {
    const value = (raw ?? '').trim();
    if (value.length > maxLength) throw new Error(`must be at most ${maxLength} characters`);
    if (value !== '' && !/^[A-Za-z0-9_.-]+$/.test(value)) {
      throw new Error(`may contain only letters, digits, "_", "-" and ".", got "${value}"`);
    }
    return value;
  };
}

/**
 * An optional Redis URL: `redis://`, `rediss://` or `redis-sentinel://[:password@]h1:26379,h2:26379/<db>#<master>`
 * (read by shared/redis, which opens the connections). Passwords are never echoed.
 */
export function redisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  parseRedisUrl(raw);
  return raw.trim();
}

/**
 * TRANSPORTER: one URL of `schemes`, or a comma-separated list of `nats://` URLs (the servers of one
 * NATS cluster; the client connects to one and moves to another when it goes away).
 */
export function transporterUrl(schemes: readonly string[]) {
  const single = url(schemes);
  return (raw: string | undefined): string | undefined => {
    if (raw === undefined || raw.trim() === '') return undefined;
    const items = raw.split(',').map((item) => item.trim());
    if (items.length === 1) return single(items[0])!.toString();
    items.forEach((item, i) => {
      if (item === '') throw new Error(`has an empty item ${i + 1} in its list (expected nats://host:port,nats://host:port,…)`);
      let parsed: URL;
      try {
        parsed = new URL(item);
      } catch {
        throw new Error(`item ${i + 1} is not a valid URL (expected nats://host:port)`);
      }
      if (parsed.protocol !== 'nats:') throw new Error(`item ${i + 1} has scheme "${parsed.protocol.replace(/:$/, '')}": only NATS accepts a list of servers`);
    });
    return items.join(',');
  };
}
