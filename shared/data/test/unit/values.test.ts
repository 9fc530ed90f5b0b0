import { randomBytes } from 'node:crypto';
import * as auth from '../../../auth/index';
import { checkValue, decodeForRead, decryptValue, encodeForWrite, encryptValue, hashPassword, verifyPassword, type FieldMeta } from '../../index';

const field = (type: FieldMeta['type'], extra: Partial<FieldMeta> = {}): FieldMeta => ({ name: 'f', key: 'k', type, ...extra });
const FAST = { N: 1024, r: 8, p: 1 };

describe('the value codec', () => {
  describe('checks written values strictly and names the field', () => {
    test.each<[FieldMeta['type'], unknown, unknown]>([
      ['string', 'hello', 'hello'],
      ['text', 'x'.repeat(10000), 'x'.repeat(10000)],
      ['integer', -5, -5],
      ['integer', 2147483647, 2147483647],
      ['bigInt', 9007199254740991, 9007199254740991],
      ['bigInt', '9223372036854775807', '9223372036854775807'],
      ['bigInt', '42', 42],
      ['snowflakeId', 399116068257792, 399116068257792],
      ['float', 1.5, 1.5],
      ['double', -0.25, -0.25],
      ['decimal', '12.50', '12.50'],
      ['decimal', 3.25, '3.25'],
      ['boolean', false, false],
      ['dateOnly', '2024-02-29', '2024-02-29'],
      ['dateOnly', '2026-11-22T23:30:00+05:00', '2026-11-22'],
      ['date', '2026-11-22T23:30:00+05:00', '2026-11-22T18:30:00.000Z'],
      ['date', 1700000000000, '2023-11-14T22:13:20.000Z'],
      ['datetimeTz', '2026-11-22T08:40:15.967Z', '2026-11-22T08:40:15.967Z'],
      ['datetimeNoTz', '2026-11-22 08:40:15', '2026-11-22 08:40:15'],
      ['datetimeNoTz', '2026-11-22T10:40:15+02:00', '2026-11-22 08:40:15.000'],
      ['time', '08:40:15', '08:40:15'],
      ['integer', '5', 5],
      ['double', '1.5', 1.5],
      ['boolean', 'true', true],
      ['boolean', 0, false],
      ['array', ['a', 1], '["a",1]'],
      ['nanoid', 'V1StGXR8_Z5jdHi6B-myT', 'V1StGXR8_Z5jdHi6B-myT'],
      ['sort', '3', 3],
      ['datetime', '2026-11-22T08:40:15.967Z', '2026-11-22T08:40:15.967Z'],
      ['datetime', '2026-11-22T10:40:15+02:00', '2026-11-22T08:40:15.000Z'],
      ['datetime', '2026-11-22', '2026-11-22T00:00:00.000Z'],
      ['datetime', '2026-11-22 08:40', '2026-11-22T08:40:00.000Z'],
      ['json', { a: [1, null] }, '{"a":[1,null]}'],
      ['json', 'plain', '"plain"'],
      ['uuid', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
      ['string', null, null],
    ])('%s accepts %j', (type, value, param) => {
      expect(checkValue(field(type), value)).toEqual(param);
    });

    test.each<[FieldMeta['type'], unknown, RegExp, Partial<FieldMeta>]>([
      ['string', 5, /must be a string, got a number/, {}],
      ['string', 'abcd', /at most 3 characters/, { length: 3 }],
      ['text', {}, /must be a string, got an object/, {}],
      ['integer', '5.5', /must be an integer/, {}],
      ['integer', '', /must be an integer/, {}],
      ['integer', 5.5, /must be an integer/, {}],
      ['integer', 2147483648, /must be an integer/, {}],
      ['bigInt', 2 ** 53, /must be an integer/, {}],
      ['bigInt', '9223372036854775808', /must be an integer/, {}],
      ['bigInt', '12a', /must be an integer/, {}],
      ['float', Number.NaN, /finite number/, {}],
      ['double', 'one', /finite number/, {}],
      ['decimal', 'abc', /decimal string/, {}],
      ['decimal', '1234567', /at most 4 digits/, { precision: 6, scale: 2 }],
      ['boolean', 2, /true or false/, {}],
      ['dateOnly', '2023-02-29', /YYYY-MM-DD/, {}],
      ['date', '2023-02-29', /ISO 8601/, {}],
      ['time', '25:00', /HH:mm/, {}],
      ['array', { a: 1 }, /must be an array/, {}],
      ['datetime', '2026-13-01T00:00:00Z', /ISO 8601/, {}],
      ['datetime', '2026-11-22T25:00:00Z', /valid time/, {}],
      ['datetime', 1e20, /epoch milliseconds/, {}],
      ['uuid', 'a0eebc99-9c0b-4ef8-bb6d', /UUID/, {}],
      ['password', '', /non-empty string/, {}],
      ['password', 'x'.repeat(1025), /at most 1024/, {}],
      ['encrypted', 5, /must be a string/, {}],
      ['belongsTo', 1, /relation/, {}],
    ])('%s refuses %j', (type, value, message, extra) => {
      expect(() => checkValue(field(type, extra), value)).toThrow(expect.objectContaining({ code: 400, type: 'CB_ERR_VALIDATION', message: expect.stringMatching(/^field "f" /) }));
      expect(() => checkValue(field(type, extra), value)).toThrow(message);
    });

    test('string length counts characters, not bytes', () => {
      expect(checkValue(field('string', { length: 3 }), '😀😀😀')).toBe('😀😀😀');
    });

    test('null is refused when allowNull is false', () => {
      expect(() => checkValue(field('string', { allowNull: false }), null)).toThrow('field "f" cannot be null');
    });
  });

  describe('reads column values back in API form', () => {
    test('int8 strings become numbers when safe, else stay strings', () => {
      expect(decodeForRead(field('snowflakeId'), '399116068257792')).toBe(399116068257792);
      expect(decodeForRead(field('bigInt'), '9223372036854775807')).toBe('9223372036854775807');
    });

    test('timestamptz text in any session time zone becomes an ISO string in UTC', () => {
      expect(decodeForRead(field('datetime'), '2026-11-22 08:40:15.967+00')).toBe('2026-11-22T08:40:15.967Z');
      expect(decodeForRead(field('datetime'), '2026-11-22 14:10:15.967123+05:30')).toBe('2026-11-22T08:40:15.967Z');
      expect(decodeForRead(field('datetime'), '2026-11-22 03:40:15-05')).toBe('2026-11-22T08:40:15.000Z');
      expect(decodeForRead(field('datetime'), 'infinity')).toBe('infinity');
    });

    test('UTC timestamptz text with 0 to 6 fraction digits gives the same ISO string as parsing it as a Date', () => {
      for (const text of ['2026-11-22 08:40:15+00', '2026-11-22 08:40:15.9+00', '2026-11-22 08:40:15.96+00', '2026-11-22 08:40:15.967+00',
        '2026-11-22 08:40:15.9679+00', '2026-11-22 08:40:15.96799+00', '2026-11-22 08:40:15.967999+00', '0099-01-01 00:00:00.000001+00', '2026-12-31 23:59:59.999999+00']) {
        expect(decodeForRead(field('datetime'), text)).toBe(new Date(`${text.slice(0, 10)}T${text.slice(11, -3)}+00:00`).toISOString());
      }
      expect(decodeForRead(field('datetime'), '12026-11-22 08:40:15+00')).toBe('12026-11-22 08:40:15+00'); // as PostgreSQL wrote it, as before
      expect(decodeForRead(field('datetime'), '2026-11-22 08:40:15 BC+00')).toBe('2026-11-22 08:40:15 BC+00');
    });

    test('decimal stays an exact string; date stays YYYY-MM-DD; null stays null; password is never read', () => {
      expect(decodeForRead(field('decimal'), '12.500000')).toBe('12.500000');
      expect(decodeForRead(field('date'), '2026-11-22')).toBe('2026-11-22');
      expect(decodeForRead(field('integer'), null)).toBeNull();
      expect(decodeForRead(field('password'), 'scrypt$…')).toBeUndefined();
    });
  });

  describe('passwords', () => {
    test('are hashed with scrypt in the documented format and verified', async () => {
      const hash = await hashPassword('s3cret', FAST);
      expect(hash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
      expect(await hashPassword('s3cret', FAST)).not.toBe(hash);
      await expect(verifyPassword(hash, 's3cret')).resolves.toBe(true);
      await expect(verifyPassword(hash, 's3cret ')).resolves.toBe(false);
    });

    test('encodeForWrite hashes a password field', async () => {
      const stored = (await encodeForWrite(field('password'), 'pw', { scrypt: FAST })) as string;
      await expect(verifyPassword(stored, 'pw')).resolves.toBe(true);
    });

    test('hashes are interchangeable with shared/auth\'s (same format, NFC-normalised)', async () => {
      const ours = await hashPassword('Ame\u0301lie', FAST);
      await expect(auth.verifyPassword('Am\u00e9lie', ours)).resolves.toBe(true);
      const theirs = await auth.hashPassword('Am\u00e9lie', FAST);
      await expect(verifyPassword(theirs, 'Ame\u0301lie')).resolves.toBe(true);
    });

    test('a malformed or outrageous stored hash never verifies', async () => {
      await expect(verifyPassword('plain', 'plain')).resolves.toBe(false);
      await expect(verifyPassword('scrypt$1000$8$1$c2FsdA==$aGFzaA==', 'x')).resolves.toBe(false);
      await expect(verifyPassword(`scrypt$${2 ** 24}$8$1$c2FsdA==$aGFzaA==`, 'x')).resolves.toBe(false);
    });
  });

  describe('encrypted values', () => {
    const key = randomBytes(32);

    test('round-trip through AES-256-GCM with a fresh IV each time', () => {
      const a = encryptValue('secret', key);
      expect(a).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/);
      expect(encryptValue('secret', key)).not.toBe(a);
      expect(decryptValue(a, key)).toBe('secret');
      expect(decodeForRead(field('encrypted'), a, { aesKey: key })).toBe('secret');
    });

    test('a different key, a tampered value or a foreign format is a clear CB_ERR_DATA_DECRYPT', () => {
      const stored = encryptValue('secret', key);
      expect(() => decryptValue(stored, randomBytes(32), 'token')).toThrow(
        expect.objectContaining({ type: 'CB_ERR_DATA_DECRYPT', message: expect.stringMatching(/field "token".*APP_AES_SECRET_KEY differs/) }),
      );
      const parts = stored.split(':');
      const tampered = [...parts.slice(0, 3), Buffer.from('other').toString('base64')].join(':');
      expect(() => decryptValue(tampered, key)).toThrow(expect.objectContaining({ type: 'CB_ERR_DATA_DECRYPT' }));
      expect(() => decryptValue('plaintext', key)).toThrow(/not in the v1 encrypted format/);
    });

    test('without a key, writing an encrypted field is CB_ERR_DATA_NO_AES_KEY', async () => {
      await expect(encodeForWrite(field('encrypted'), 'x')).rejects.toMatchObject({ type: 'CB_ERR_DATA_NO_AES_KEY', code: 500 });
    });

    test('a key that is not 32 bytes is refused', () => {
      expect(() => encryptValue('x', randomBytes(16))).toThrow(/32 bytes/);
    });
  });
});
