import { randomUUID } from 'node:crypto';
import type { KeyValueCache } from '../../index.js';

/** What a contract run needs from an adapter: a fresh, connected cache under its own prefix. */
export type CacheFactory = (prefix: string) => Promise<KeyValueCache>;

/** Resolves after `check` returns true, polling; the Jest timeout bounds the wait. */
export async function eventually(check: () => Promise<boolean>, pollMs = 10): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, pollMs));
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The KeyValueCache contract: every adapter must pass it unchanged. */
export function keyValueCacheContract(adapter: string, factory: CacheFactory): void {
  describe(`KeyValueCache contract: ${adapter}`, () => {
    let cache: KeyValueCache;

    beforeEach(async () => {
      cache = await factory(`test-${randomUUID()}`);
    });

    afterEach(async () => {
      await cache.clear();
      await cache.forApp('other').clear();
      await cache.close();
    });

    it('answers undefined for a key never set', async () => {
      expect(await cache.get('missing')).toBeUndefined();
    });

    it('returns what was set, as JSON round-trips it', async () => {
      const values = { obj: { a: 1, nested: { b: [1, 'two', null] } }, text: 'hello', zero: 0, no: false, nil: null };
      for (const [key, value] of Object.entries(values)) await cache.set(key, value);
      for (const [key, value] of Object.entries(values)) expect(await cache.get(key)).toEqual(value);
      await cache.set('date', { at: new Date(0) });
      expect(await cache.get('date')).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    });

    it('hands out copies: mutating a value read does not change the cached one', async () => {
      await cache.set('k', { n: 1 });
      const first = await cache.get<{ n: number }>('k');
      first!.n = 2;
      expect(await cache.get('k')).toEqual({ n: 1 });
    });

    it('replaces a value on a second set', async () => {
      await cache.set('k', 1);
      await cache.set('k', 2);
      expect(await cache.get('k')).toBe(2);
    });

    it('forgets a deleted key', async () => {
      await cache.set('k', 'v');
      await cache.del('k');
      expect(await cache.get('k')).toBeUndefined();
      await expect(cache.del('never-set')).resolves.toBeUndefined();
    });

    it('refuses to store undefined', async () => {
      await expect(cache.set('k', undefined)).rejects.toThrow(/undefined/);
    });

    it('keeps a value with a TTL until it expires, then forgets it', async () => {
      await cache.set('long', 'v', { ttlMs: 60_000 });
      await cache.set('short', 'v', { ttlMs: 20 });
      expect(await cache.get('long')).toBe('v');
      await eventually(async () => (await cache.get('short')) === undefined);
      expect(await cache.get('long')).toBe('v');
    });

    it('computes a missing value once with wrap and serves it from the cache afterwards', async () => {
      let calls = 0;
      const compute = async () => {
        calls += 1;
        return { n: calls };
      };
      expect(await cache.wrap('w', compute)).toEqual({ n: 1 });
      expect(await cache.wrap('w', compute)).toEqual({ n: 1 });
      expect(await cache.get('w')).toEqual({ n: 1 });
      expect(calls).toBe(1);
    });

    it('shares one computation between concurrent wrap callers of the same key', async () => {
      const gate = deferred<string>();
      let calls = 0;
      const compute = () => {
        calls += 1;
        return gate.promise;
      };
      const callers = Array.from({ length: 5 }, () => cache.wrap('shared', compute));
      gate.resolve('value');
      expect(await Promise.all(callers)).toEqual(Array(5).fill('value'));
      expect(calls).toBe(1);
    });

    it('passes a failed computation to every waiting caller and caches nothing', async () => {
      const gate = deferred<string>();
      let calls = 0;
      const compute = () => {
        calls += 1;
        return gate.promise;
      };
      const callers = Array.from({ length: 3 }, () => cache.wrap('failing', compute));
      gate.reject(new Error('boom'));
      for (const caller of callers) await expect(caller).rejects.toThrow('boom');
      expect(calls).toBe(1);
      expect(await cache.get('failing')).toBeUndefined();
      expect(await cache.wrap('failing', () => 'second try')).toBe('second try');
    });

    it('applies the TTL given to wrap', async () => {
      await cache.wrap('wt', () => 'v', { ttlMs: 20 });
      await eventually(async () => (await cache.get('wt')) === undefined);
    });

    it('keeps apps apart: the same key in two apps holds two values', async () => {
      const other = cache.forApp('other');
      expect(other.app).toBe('other');
      await cache.set('k', 'main value');
      await other.set('k', 'other value');
      expect(await cache.get('k')).toBe('main value');
      expect(await other.get('k')).toBe('other value');
      await other.clear();
      expect(await other.get('k')).toBeUndefined();
      expect(await cache.get('k')).toBe('main value');
    });

    it('clears only the keys under the given prefix, glob characters taken literally', async () => {
      await cache.set('users:1', 1);
      await cache.set('users:2', 2);
      await cache.set('roles:1', 3);
      await cache.set('a*', 4);
      await cache.set('ab', 5);
      await cache.clear('users:');
      expect(await cache.get('users:1')).toBeUndefined();
      expect(await cache.get('users:2')).toBeUndefined();
      expect(await cache.get('roles:1')).toBe(3);
      await cache.clear('a*');
      expect(await cache.get('a*')).toBeUndefined();
      expect(await cache.get('ab')).toBe(5);
    });

    it('refuses an app name that could collide with another app’s keys', () => {
      expect(() => cache.forApp('a:b')).toThrow(/app name/);
      expect(() => cache.forApp('')).toThrow(/app name/);
    });

    it('refuses an empty key', async () => {
      await expect(cache.get('')).rejects.toThrow(TypeError);
    });
  });
}
