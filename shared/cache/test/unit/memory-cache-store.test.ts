import { MemoryCacheStore } from '../../index.js';

describe('MemoryCacheStore', () => {
  it('drops the least recently used entry once maxEntries is passed', async () => {
    const store = new MemoryCacheStore({ maxEntries: 3 });
    await store.set('a', '1', undefined);
    await store.set('b', '2', undefined);
    await store.set('c', '3', undefined);
    await store.get('a'); // a is now the most recently used
    await store.set('d', '4', undefined);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe('1');
    expect(await store.get('c')).toBe('3');
    expect(await store.get('d')).toBe('4');
    expect(store.size).toBe(3);
  });

  it('counts a rewrite of a key as a use, not a new entry', async () => {
    const store = new MemoryCacheStore({ maxEntries: 2 });
    await store.set('a', '1', undefined);
    await store.set('b', '2', undefined);
    await store.set('a', '3', undefined);
    await store.set('c', '4', undefined);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe('3');
  });

  it('expires entries by its clock and removes them when read', async () => {
    let now = 1000;
    const store = new MemoryCacheStore({ now: () => now });
    await store.set('k', '"v"', 50);
    now = 1049;
    expect(await store.get('k')).toBe('"v"');
    now = 1050;
    expect(await store.get('k')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('refuses a size below one', () => {
    expect(() => new MemoryCacheStore({ maxEntries: 0 })).toThrow(/maxEntries/);
  });
});
