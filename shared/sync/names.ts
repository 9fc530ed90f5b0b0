import { cbError } from '../errors/index.js';

/** App names are channel/key segments: no `:` or `{}` so `<prefix>:{<app>:<channel>}` stays unambiguous. */
const APP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function checkAppName(app: string): string {
  if (typeof app !== 'string' || !APP_NAME.test(app)) {
    throw cbError('CB_ERR_CONFIG_INVALID', `Invalid app name ${JSON.stringify(app)}: use letters, digits, "_", "." or "-" (no ":")`);
  }
  return app;
}

export function checkChannel(channel: string): string {
  if (typeof channel !== 'string' || channel === '' || channel.length > 256) {
    throw new TypeError(`A sync channel must be a non-empty string of at most 256 characters, got ${JSON.stringify(channel)}`);
  }
  return channel;
}

/** Map key of a topic; app names cannot contain NUL, so the pair is unambiguous. */
export function topicKey(app: string, channel: string): string {
  return `${app}\u0000${channel}`;
}

export function checkMs(value: number | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw cbError('CB_ERR_CONFIG_INVALID', `${name} must be a number >= ${min}, got ${String(value)}`);
  }
  return value;
}
