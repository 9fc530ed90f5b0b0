import { cbError } from '../errors/index.js';

/**
 * App names become key segments (`<prefix>:<app>:<key>`), so they may not contain `:`; otherwise app
 * `a:b` key `c` and app `a` key `b:c` would share a key.
 */
const APP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export const DEFAULT_APP = 'main';

export function checkAppName(app: string): string {
  if (typeof app !== 'string' || !APP_NAME.test(app)) {
    throw cbError('CB_ERR_CONFIG_INVALID', `Invalid app name ${JSON.stringify(app)}: use letters, digits, "_", "." or "-" (no ":")`);
  }
  return app;
}

export function checkKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw new TypeError(`A cache key must be a non-empty string, got ${JSON.stringify(key)}`);
  return key;
}

/** Validates a TTL in ms: undefined stays undefined, 0 means "no expiry", fractions round up. */
export function checkTtl(ttlMs: number | undefined, what = 'ttlMs'): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new TypeError(`${what} must be a finite number of milliseconds >= 0, got ${String(ttlMs)}`);
  }
  return Math.ceil(ttlMs);
}
