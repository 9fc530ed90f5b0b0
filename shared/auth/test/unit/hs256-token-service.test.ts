import { createHmac } from 'node:crypto';
import { Hs256TokenService, TokenError, type TokenFailure } from '../../index.js';

const KEY = 'test-app-key-0123456789';

function service(now = () => 1_800_000_000_000, key = KEY) {
  return new Hs256TokenService({ key, expiresInSec: 3600, now });
}

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function forge(header: unknown, payload: unknown, key = KEY): string {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

function failure(fn: () => unknown): TokenFailure {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenError) return err.reason;
    throw err;
  }
  throw new Error('expected a TokenError');
}

describe('Hs256TokenService', () => {
  it('signs a JWT whose claims verify back', () => {
    const tokens = service();
    const { token, claims } = tokens.sign('42', 'main');
    expect(token.split('.')).toHaveLength(3);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(claims).toEqual({ sub: '42', jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), iat: 1_800_000_000, exp: 1_800_003_600, app: 'main' });
    expect(tokens.verify(token)).toEqual(claims);
  });

  it('gives every token its own jti', () => {
    const tokens = service();
    expect(tokens.sign('1', 'main').claims.jti).not.toBe(tokens.sign('1', 'main').claims.jti);
  });

  it('is a standard HS256 JWT: a token built by hand with the same key verifies', () => {
    const token = forge({ alg: 'HS256', typ: 'JWT' }, { sub: '7', jti: 'j', iat: 1_800_000_000, exp: 1_800_000_100, app: 'main' });
    expect(service().verify(token).sub).toBe('7');
  });

  it('refuses a token signed with another key', () => {
    const { token } = service(undefined, 'another-key-0123456789').sign('1', 'main');
    expect(failure(() => service().verify(token))).toBe('signature');
  });

  it('refuses a tampered payload', () => {
    const { token } = service().sign('1', 'main');
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    expect(failure(() => service().verify(`${h}.${b64({ ...claims, sub: '2' })}.${s}`))).toBe('signature');
  });

  it('refuses a tampered signature, including a non-canonical spelling of the right one', () => {
    const { token } = service().sign('1', 'main');
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    expect(failure(() => service().verify(flipped))).toBe('signature');
    // 32 bytes in base64url are 43 characters whose last one carries 4 padding bits; changing those
    // bits decodes to the same bytes. Only the canonical spelling is accepted.
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(failure(() => service().verify(token.slice(0, -1) + twin))).toBe('signature');
  });

  it('refuses alg none, with or without a signature', () => {
    const payload = { sub: '1', jti: 'j', iat: 1_800_000_000, exp: 1_900_000_000, app: 'main' };
    expect(failure(() => service().verify(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`))).toBe('algorithm');
    expect(failure(() => service().verify(`${b64({ alg: 'none' })}.${b64(payload)}.${b64('x')}`))).toBe('algorithm');
    expect(failure(() => service().verify(forge({ alg: 'none' }, payload)))).toBe('algorithm');
  });

  it('refuses other algorithms and extra header fields even when the HMAC is right', () => {
    const payload = { sub: '1', jti: 'j', iat: 1_800_000_000, exp: 1_900_000_000, app: 'main' };
    expect(failure(() => service().verify(forge({ alg: 'HS512', typ: 'JWT' }, payload)))).toBe('algorithm');
    expect(failure(() => service().verify(forge({ alg: 'RS256' }, payload)))).toBe('algorithm');
    expect(failure(() => service().verify(forge({ alg: 'HS256', kid: '../../key' }, payload)))).toBe('algorithm');
    expect(failure(() => service().verify(forge({ alg: 'HS256', crit: ['exp'] }, payload)))).toBe('algorithm');
    expect(failure(() => service().verify(forge({ alg: 'HS256', typ: 'JWE' }, payload)))).toBe('algorithm');
  });

  it('requires exp and the other claims', () => {
    const full = { sub: '1', jti: 'j', iat: 1_800_000_000, exp: 1_900_000_000, app: 'main' };
    for (const missing of ['exp', 'sub', 'jti', 'iat', 'app']) {
      const { [missing]: _, ...rest } = full as Record<string, unknown>;
      expect(failure(() => service().verify(forge({ alg: 'HS256' }, rest)))).toBe('claims');
    }
    expect(failure(() => service().verify(forge({ alg: 'HS256' }, { ...full, exp: '1900000000' })))).toBe('claims');
  });

  it('refuses an expired token, and one not valid yet', () => {
    let now = 1_800_000_000_000;
    const tokens = service(() => now);
    const { token } = tokens.sign('1', 'main');
    now += 3_599_000;
    expect(tokens.verify(token).sub).toBe('1');
    now += 1_000;
    expect(failure(() => tokens.verify(token))).toBe('expired');
    const early = forge({ alg: 'HS256' }, { sub: '1', jti: 'j', iat: 1, exp: 1_900_000_000, nbf: 1_850_000_000, app: 'main' });
    expect(failure(() => tokens.verify(early))).toBe('not-yet-valid');
  });

  it('a token verified before answers the same claims again, and a changed copy of it is still refused', () => {
    const tokens = service();
    const { token } = tokens.sign('7', 'main');
    const first = tokens.verify(token);
    expect(tokens.verify(token)).toEqual(first);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(failure(() => tokens.verify(flipped))).toBe('signature');
    expect(failure(() => tokens.verify(`${h}.${b64(JSON.stringify({ ...first, sub: '8' }))}.${sig}`))).toBe('signature');
  });

  it('accepts the configured clock tolerance around exp', () => {
    let now = 1_800_000_000_000;
    const tokens = new Hs256TokenService({ key: KEY, expiresInSec: 60, clockToleranceSec: 5, now: () => now });
    const { token } = tokens.sign('1', 'main');
    now += 64_000;
    expect(tokens.verify(token).sub).toBe('1');
    now += 1_000;
    expect(failure(() => tokens.verify(token))).toBe('expired');
  });

  it('refuses malformed input without throwing anything but TokenError', () => {
    for (const bad of ['', 'abc', 'a.b', 'a.b.c.d', 'a b.c.d', `${'a'.repeat(5000)}.b.c`, '!!.??.##', `${b64('[1]')}.${b64('{}')}.x`, `${b64('not json')}.e30.x`]) {
      expect(['malformed', 'algorithm', 'signature']).toContain(failure(() => service().verify(bad)));
    }
    expect(failure(() => service().verify(undefined as unknown as string))).toBe('malformed');
  });

  it('refuses a key shorter than 16 bytes and a bad lifetime', () => {
    expect(() => new Hs256TokenService({ key: 'short', expiresInSec: 60 })).toThrow(/at least 16 bytes/);
    expect(() => new Hs256TokenService({ key: KEY, expiresInSec: 0 })).toThrow(/positive/);
  });
});
