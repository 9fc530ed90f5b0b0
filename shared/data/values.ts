import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { cbError } from '../errors/index.js';
import { DEFAULT_PRECISION, DEFAULT_SCALE, DEFAULT_STRING_LENGTH, hasColumn } from './field-definition.js';
import type { FieldMeta } from './types.js';

/**
 * The value codec: what a record's JSON value becomes in its column, and back.
 *
 * Written values are checked strictly (a wrong type is a 400 naming the field, never a coercion):
 * - string/text: a string (string ≤ its length in characters); integer: a JSON integer in int4 range;
 *   bigInt/snowflakeId (and belongsTo foreign keys): a safe JSON integer, or a string of digits in
 *   int8 range; float/double: a finite number; decimal: a number or a decimal string (`"12.50"`)
 *   within its precision; boolean: true/false; date: `YYYY-MM-DD` (a full ISO date-time is cut to its
 *   date as written); datetime: an ISO 8601 date or date-time (no offset means UTC); json: any JSON;
 *   uuid: the 8-4-4-4-12 hex form; password: a non-empty string (stored as a scrypt hash);
 *   encrypted: a string (stored as AES-256-GCM ciphertext). `null` is accepted unless allowNull is false.
 *
 * Read values: int8 columns come back as numbers when they are safe integers (snowflake IDs always
 * are), else as strings; decimal stays a string (exact, as NocoBase returns it); datetime is an ISO
 * string in UTC; date is `YYYY-MM-DD`; encrypted is decrypted; password is never read (omitted).
 */

export interface ScryptParams {
  /** CPU/memory cost, a power of two (default 16384). */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };

export interface CodecOptions {
  /** 32-byte AES-256 key for encrypted fields (APP_AES_SECRET_KEY decoded from hex). */
  readonly aesKey?: Buffer;
  /** Cost of new password hashes (existing hashes carry their own). */
  readonly scrypt?: ScryptParams;
}

const INT4_MIN = -2147483648;
const INT4_MAX = 2147483647;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const DECIMAL = /^[-+]?(\d+)(?:\.(\d+))?$/;
const MAX_PASSWORD_LENGTH = 1024;

function invalid(field: FieldMeta, what: string): never {
  throw cbError('CB_ERR_VALIDATION', `field "${field.name}" ${what}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function validCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

/** A bigint-like value (number or digit string) as the parameter we bind, or undefined when it is not one. */
function int8Param(value: unknown): number | string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) {
    const n = BigInt(value);
    if (n < INT8_MIN || n > INT8_MAX) return undefined;
    return Number.isSafeInteger(Number(n)) ? Number(n) : n.toString();
  }
  return undefined;
}

function datetimeParam(field: FieldMeta, value: unknown): string {
  const match = typeof value === 'string' ? ISO.exec(value) : null;
  if (!match || !validCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    invalid(field, `must be an ISO 8601 date-time string (e.g. 2026-11-22T08:40:15.967Z), got ${describe(value)}`);
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac, zone] = match;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) invalid(field, 'must be an ISO 8601 date-time string with a valid time');
  let offset = zone ?? 'Z';
  if (offset !== 'Z' && !offset.includes(':')) offset = offset.length === 3 ? `${offset}:00` : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac.slice(0, 3)}` : ''}${offset}`);
  if (Number.isNaN(date.getTime())) invalid(field, 'must be an ISO 8601 date-time string');
  return date.toISOString();
}

function dateParam(field: FieldMeta, value: unknown): string {
  const match = typeof value === 'string' ? ISO.exec(value) : null;
  if (!match || !validCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    invalid(field, `must be a date string YYYY-MM-DD, got ${describe(value)}`);
  }
  return `${match[1]}-${match[2]}-${match[3]}`;
}

function decimalParam(field: FieldMeta, value: unknown): string {
  const precision = field.precision ?? DEFAULT_PRECISION;
  const scale = field.scale ?? DEFAULT_SCALE;
  const maxIntegerDigits = precision - scale;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) invalid(field, 'must be a finite number');
    if (Math.abs(value) >= 10 ** maxIntegerDigits) invalid(field, `must have at most ${maxIntegerDigits} digits before the decimal point`);
    return String(value);
  }
  const match = typeof value === 'string' ? DECIMAL.exec(value) : null;
  if (!match) invalid(field, `must be a number or a decimal string, got ${describe(value)}`);
  if (match[1]!.replace(/^0+(?=\d)/, '').length > maxIntegerDigits && Number(match[1]) !== 0) {
    invalid(field, `must have at most ${maxIntegerDigits} digits before the decimal point`);
  }
  return value as string;
}

/**
 * Checks a value against its field and returns the parameter to bind, for every type that needs no
 * key material (password and encrypted are checked here but transformed in encodeForWrite).
 * Throws CB_ERR_VALIDATION naming the field.
 */
export function checkValue(field: FieldMeta, value: unknown): unknown {
  if (value === null) {
    if (field.allowNull === false) invalid(field, 'cannot be null');
    return null;
  }
  if (value === undefined) invalid(field, 'has no value');
  switch (field.type) {
    case 'string': {
      if (typeof value !== 'string') invalid(field, `must be a string, got ${describe(value)}`);
      const max = field.length ?? DEFAULT_STRING_LENGTH;
      if ([...value].length > max) invalid(field, `must be at most ${max} characters long`);
      return value;
    }
    case 'text':
      if (typeof value !== 'string') invalid(field, `must be a string, got ${describe(value)}`);
      return value;
    case 'integer':
      value = numberFromText(value, true);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < INT4_MIN || value > INT4_MAX) {
        invalid(field, `must be an integer from ${INT4_MIN} to ${INT4_MAX}, got ${typeof value === 'number' ? 'a number out of range or with a fraction' : describe(value)}`);
      }
      return value;
    case 'bigInt':
    case 'sort':
    case 'snowflakeId': {
      const param = int8Param(typeof value === 'string' ? value.trim() : value);
      if (param === undefined) invalid(field, `must be an integer (a safe JSON integer or a string of digits in 64-bit range), got ${describe(value)}`);
      return param;
    }
    case 'float':
    case 'double':
      value = numberFromText(value, false);
      if (typeof value !== 'number' || !Number.isFinite(value)) invalid(field, `must be a finite number, got ${describe(value)}`);
      return value;
    case 'decimal':
      return decimalParam(field, value);
    case 'boolean':
      // Forms send the text ("true"/"false") and some clients 1/0, as Sequelize accepts.
      if (value === 'true' || value === 1 || value === '1') return true;
      if (value === 'false' || value === 0 || value === '0') return false;
      if (typeof value !== 'boolean') invalid(field, `must be true or false, got ${describe(value)}`);
      return value;
    case 'dateOnly':
      return dateParam(field, typeof value === 'number' ? epochIso(field, value) : value);
    case 'date':
    case 'datetime':
    case 'datetimeTz':
      return datetimeParam(field, typeof value === 'number' ? epochIso(field, value) : value);
    case 'datetimeNoTz':
      return wallClockParam(field, typeof value === 'number' ? epochIso(field, value) : value);
    case 'time': {
      const m = typeof value === 'string' ? TIME.exec(value.trim()) : null;
      if (!m) invalid(field, `must be a time HH:mm or HH:mm:ss, got ${describe(value)}`);
      return (value as string).trim();
    }
    case 'json':
    case 'array':
      if (field.type === 'array' && !Array.isArray(value)) invalid(field, `must be an array, got ${describe(value)}`);
      return JSON.stringify(value);
    case 'nanoid':
      if (typeof value !== 'string' || value.length === 0 || [...value].length > (field.length ?? DEFAULT_STRING_LENGTH)) invalid(field, `must be a non-empty string, got ${describe(value)}`);
      return value;
    case 'uuid':
      if (typeof value !== 'string' || !UUID.test(value)) invalid(field, `must be a UUID string, got ${describe(value)}`);
      return value.toLowerCase();
    case 'password':
      if (typeof value !== 'string' || value.length === 0) invalid(field, `must be a non-empty string, got ${describe(value)}`);
      if (value.length > MAX_PASSWORD_LENGTH) invalid(field, `must be at most ${MAX_PASSWORD_LENGTH} characters long`);
      return value;
    case 'encrypted':
      if (typeof value !== 'string') invalid(field, `must be a string, got ${describe(value)}`);
      return value;
    case 'belongsTo':
    case 'hasOne':
    case 'hasMany':
    case 'belongsToMany':
    case 'createdBy':
    case 'updatedBy':
      invalid(field, `is a ${field.type} relation and has no value of its own`);
  }
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$/;
const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A number a form sent as text ("12", "1.5") becomes that number; anything else is returned as it was (and refused). */
function numberFromText(value: unknown, integer: boolean): unknown {
  if (typeof value !== 'string' || !NUMBER_TEXT.test(value.trim())) return value;
  const n = Number(value.trim());
  return integer && !Number.isInteger(n) ? value : n;
}

/** Epoch milliseconds (what NocoBase's client sends for a date picked in some widgets) as ISO text. */
function epochIso(field: FieldMeta, value: number): string {
  const d = new Date(value);
  if (!Number.isFinite(value) || Number.isNaN(d.getTime())) invalid(field, 'must be a date (epoch milliseconds out of range)');
  return d.toISOString();
}

/** datetimeNoTz keeps the wall clock: text without a zone as given, a value with a zone as its UTC wall clock. */
function wallClockParam(field: FieldMeta, value: unknown): string {
  const match = typeof value === 'string' ? ISO.exec(value.trim()) : null;
  if (!match || !validCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    invalid(field, `must be a date-time string (YYYY-MM-DD HH:mm:ss), got ${describe(value)}`);
  }
  if (match[8] !== undefined) return datetimeParam(field, value).replace('T', ' ').replace('Z', '');
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac] = match;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) invalid(field, 'must be a date-time with a valid time');
  return `${y}-${mo}-${d} ${h}:${mi}:${sec}${frac ? `.${frac}` : ''}`;
}

/** The value to bind for a column field: checked, then hashed (password) or encrypted (encrypted). */
export async function encodeForWrite(field: FieldMeta, value: unknown, options: CodecOptions = {}): Promise<unknown> {
  const param = checkValue(field, value);
  if (param === null) return null;
  if (field.type === 'password') return hashPassword(param as string, options.scrypt);
  if (field.type === 'encrypted') return encryptValue(param as string, requireKey(options.aesKey, field));
  return param;
}

/** True when a field's value appears in records read back (every column field except password). */
export function isReadable(field: FieldMeta): boolean {
  return field.type !== 'password' && hasColumn(field);
}

/** `YYYY-MM-DD HH:MM:SS[.f…]+00` with a valid month, day and time-of-day range (the fast path). */
const UTC_TEXT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?\+00$/;

/** PostgreSQL's timestamptz text (`2026-11-22 08:40:15.967+00`) as an ISO string in UTC. */
function isoFromPg(raw: string): string {
  // Fast path, the form a UTC session always writes (`YYYY-MM-DD HH:MM:SS[.f…]+00`): sliced, no Date.
  const n = raw.length;
  if (n >= 22 && n <= 29 && raw.charCodeAt(n - 3) === 43 /* + */ && raw.charCodeAt(n - 2) === 48 && raw.charCodeAt(n - 1) === 48 && raw.charCodeAt(4) === 45 && raw.charCodeAt(10) === 32 && UTC_TEXT.test(raw)) {
    const ms = n === 22 ? '000' : `${raw.slice(20, n - 3)}00`.slice(0, 3);
    return `${raw.slice(0, 10)}T${raw.slice(11, 19)}.${ms}Z`;
  }
  const m = /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(raw);
  if (!m) return raw; // infinity, BC dates: as PostgreSQL wrote them
  const date = new Date(`${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}`);
  return Number.isNaN(date.getTime()) ? raw : date.toISOString();
}

/** A column value as read from PostgreSQL (through MikroORM's pg type parsers) in API form. */
export function decodeForRead(field: FieldMeta, raw: unknown, options: CodecOptions = {}): unknown {
  if (raw === null || raw === undefined) return null;
  switch (field.type) {
    case 'bigInt':
    case 'snowflakeId': {
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : String(raw);
    }
    case 'date':
    case 'datetime':
    case 'datetimeTz':
      return typeof raw === 'string' ? isoFromPg(raw) : raw instanceof Date ? raw.toISOString() : raw;
    case 'dateOnly':
      return typeof raw === 'string' ? raw.slice(0, 10) : raw;
    case 'sort': {
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : String(raw);
    }
    case 'decimal':
      return String(raw);
    case 'encrypted':
      return decryptValue(String(raw), requireKey(options.aesKey, field), field.name);
    case 'password':
      return undefined;
    default:
      return raw;
  }
}

function requireKey(key: Buffer | undefined, field: FieldMeta): Buffer {
  if (!key) throw cbError('CB_ERR_DATA_NO_AES_KEY', `field "${field.name}" is encrypted, but no AES key is configured (APP_AES_SECRET_KEY)`);
  return key;
}

/** Checks an AES key given in options: exactly 32 bytes. */
export function assertAesKey(key: Buffer | undefined): void {
  if (key !== undefined && (!Buffer.isBuffer(key) || key.length !== 32)) {
    throw new Error(`the AES key must be a Buffer of 32 bytes (APP_AES_SECRET_KEY is 64 hex characters), got ${Buffer.isBuffer(key) ? `${key.length} bytes` : typeof key}`);
  }
}

/** AES-256-GCM: `v1:<iv>:<tag>:<ciphertext>`, each part base64, a fresh 12-byte IV per value. */
export function encryptValue(plain: string, key: Buffer): string {
  assertAesKey(key);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${data.toString('base64')}`;
}

/** Decrypts encryptValue's output; a different key or a damaged value is CB_ERR_DATA_DECRYPT (500). */
export function decryptValue(stored: string, key: Buffer, fieldName = 'value'): string {
  assertAesKey(key);
  const parts = stored.split(':');
  if (parts.length !== 4 || parts[0] !== 'v1') {
    throw cbError('CB_ERR_DATA_DECRYPT', `field "${fieldName}": the stored value is not in the v1 encrypted format`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[1]!, 'base64'));
    decipher.setAuthTag(Buffer.from(parts[2]!, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw cbError(
      'CB_ERR_DATA_DECRYPT',
      `field "${fieldName}": the value could not be decrypted with this node's AES key (APP_AES_SECRET_KEY differs from the one it was written with, or the value is damaged)`,
    );
  }
}

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function maxmem(params: ScryptParams): number {
  return 128 * params.N * params.r * 2;
}

/**
 * A scrypt hash: `scrypt$N$r$p$<salt>$<hash>` (salt 16 bytes, hash 64 bytes, base64url; the password
 * NFC-normalised first). The same format as shared/auth's password.ts, so either verifies the other's.
 */
export async function hashPassword(plain: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(plain, salt, 64, { N: params.N, r: params.r, p: params.p, maxmem: maxmem(params) });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** True when `plain` matches a hashPassword hash; false for a wrong password or a malformed hash. */
export async function verifyPassword(stored: string, plain: string): Promise<boolean> {
  if (typeof stored !== 'string' || typeof plain !== 'string') return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a damaged stored value from asking for unbounded CPU or memory (128·N·r bytes ≤ 256 MiB).
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return false;
  if (!Number.isInteger(N) || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || N * r > 2 ** 21) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await scrypt(plain, salt, expected.length, { N, r, p, maxmem: maxmem({ N, r, p }) });
  return timingSafeEqual(actual, expected);
}
