import { cbError } from '../errors/index.js';
import type { RedisTarget, SentinelRedisTarget } from './types.js';

const SENTINEL = /^redis-sentinel:\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(?:#(.*))?$/i;
const DEFAULT_SENTINEL_PORT = 26379;

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`has a badly escaped ${what}`);
  }
}

function sentinelHost(item: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(item.trim());
  if (!match) throw new Error(`has a bad Sentinel address "${item}" (expected host or host:port)`);
  const port = match[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(match[2]);
  if (!(port >= 1 && port <= 65535)) throw new Error(`has a bad Sentinel port in "${item}" (1–65535)`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function parseSentinel(raw: string): SentinelRedisTarget {
  const match = SENTINEL.exec(raw);
  if (!match) throw new Error('is not a valid redis-sentinel:// URL (expected redis-sentinel://[:password@]host1:26379,host2:26379/<db>#<masterName>)');
  const [, userInfo, hosts = '', path = '', query = '', fragment] = match;
  if (hosts.trim() === '') throw new Error('names no Sentinel (expected redis-sentinel://host1:26379,host2:26379/<db>#<masterName>)');
  const sentinels = hosts.split(',').map(sentinelHost);
  const masterName = decode(fragment ?? '', 'master name').trim();
  if (masterName === '') throw new Error('names no master (add #<masterName>, the name given to `sentinel monitor`)');
  const dbText = path.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) throw new Error(`has a bad database number "${dbText}" (expected /0 … /15)`);
  const db = dbText === '' ? 0 : Number(dbText);
  let username: string | undefined;
  let password: string | undefined;
  if (userInfo !== undefined && userInfo !== '') {
    const colon = userInfo.indexOf(':');
    // Lettuce's form is `password@`; `user:password@` and `:password@` are accepted too.
    if (colon < 0) password = decode(userInfo, 'password');
    else {
      username = decode(userInfo.slice(0, colon), 'user name') || undefined;
      password = decode(userInfo.slice(colon + 1), 'password');
    }
  }
  const params = new URLSearchParams(query.replace(/^\?/, ''));
  for (const key of params.keys()) {
    if (key !== 'sentinelPassword') throw new Error(`has an unknown parameter "${key}" (only sentinelPassword is accepted)`);
  }
  const sentinelPassword = params.get('sentinelPassword') ?? undefined;
  return {
    kind: 'sentinel',
    sentinels,
    masterName,
    db,
    ...(password ? { password } : {}),
    ...(username ? { username } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

/**
 * Reads a Redis URL: `redis://` / `rediss://` (one server) or
 * `redis-sentinel://[:password@]host1:26379,host2:26379/<db>#<masterName>` (the form the Lettuce client
 * uses; Sentinel's port defaults to 26379). Throws an Error whose message follows "<VARIABLE>: " and
 * never echoes a password.
 */
export function parseRedisUrl(raw: string): RedisTarget {
  const text = raw.trim();
  if (/^redis-sentinel:/i.test(text)) return parseSentinel(text);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new Error('is not a valid URL (expected redis://…, rediss://… or redis-sentinel://…)');
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'redis' && scheme !== 'rediss') throw new Error(`has scheme "${scheme}", expected redis, rediss or redis-sentinel`);
  return { kind: 'standalone', url: text };
}

/** True for the URL schemes a Redis adapter accepts (the test a resolver uses to tell a URL from a name). */
export function isRedisUrl(value: string): boolean {
  return /^(rediss?|redis-sentinel):\/\//i.test(value.trim());
}

/** The URL without credentials, for logs and error messages. */
export function redactRedisUrl(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//').replace(/([?&]sentinelPassword=)[^&#]*/i, '$1***');
}

/**
 * `url` when it is a Redis URL, else a CB_ERR_CONFIG_INVALID naming `what` ("The Redis cache") and the
 * variables that set it (`where`, e.g. "CACHE_REDIS_URL or REDIS_URL").
 */
export function requireRedisUrl(url: string | undefined, what: string, where?: string): string {
  const needs = `${what} needs a redis://, rediss:// or redis-sentinel:// URL${where ? ` (${where})` : ''}`;
  if (typeof url !== 'string' || url.trim() === '') throw cbError('CB_ERR_CONFIG_INVALID', needs);
  try {
    parseRedisUrl(url);
  } catch (err) {
    throw cbError('CB_ERR_CONFIG_INVALID', `${needs}: ${redactRedisUrl(url)} ${(err as Error).message}`);
  }
  return url;
}

/** A short name of the server behind a URL, without credentials: `host:port/db` or `<master>@sentinel/db`. */
export function redisServerLabel(url: string): string {
  const target = parseRedisUrl(url);
  if (target.kind === 'sentinel') return `${target.masterName}@sentinel/${target.db}`;
  const u = new URL(target.url);
  return `${u.hostname}:${u.port || 6379}${u.pathname}`;
}
