import { randomUUID } from 'node:crypto';
import type { BloomFilter } from '../../index.js';

/** A fresh, connected filter sized for `expectedItems` at `falsePositiveRate`, under its own prefix. */
export type BloomFactory = (options: { prefix: string; expectedItems: number; falsePositiveRate: number }) => Promise<BloomFilter>;

/** The BloomFilter contract: every adapter must pass it unchanged. */
export function bloomFilterContract(adapter: string, factory: BloomFactory): void {
  describe(`BloomFilter contract: ${adapter}`, () => {
    const open: BloomFilter[] = [];
    const make = async (expectedItems: number, falsePositiveRate: number) => {
      const filter = await factory({ prefix: `test-${randomUUID()}`, expectedItems, falsePositiveRate });
      open.push(filter);
      return filter;
    };

    afterEach(async () => {
      await Promise.all(open.splice(0).map((filter) => filter.close()));
    });

    it('contains nothing when empty', async () => {
      const filter = await make(100, 0.01);
      for (let i = 0; i < 50; i += 1) expect(await filter.mightContain(`item-${i}`)).toBe(false);
    });

    it('never forgets an added item (no false negatives)', async () => {
      const filter = await make(1000, 0.01);
      const items = Array.from({ length: 1000 }, (_, i) => `token-${i}`);
      await Promise.all(items.map((item) => filter.add(item)));
      const answers = await Promise.all(items.map((item) => filter.mightContain(item)));
      expect(answers.every(Boolean)).toBe(true);
    });

    it('keeps false positives near the configured rate when filled to its size', async () => {
      const filter = await make(2000, 0.01);
      await Promise.all(Array.from({ length: 2000 }, (_, i) => filter.add(`in-${i}`)));
      const answers = await Promise.all(Array.from({ length: 5000 }, (_, i) => filter.mightContain(`out-${i}`)));
      const rate = answers.filter(Boolean).length / answers.length;
      // 1% configured; a correct filter stays well under 3% (binomial spread at 5,000 probes is ~0.15%).
      expect(rate).toBeLessThan(0.03);
    });

    it('treats adding the same item twice like adding it once', async () => {
      const filter = await make(100, 0.01);
      await filter.add('same');
      await filter.add('same');
      expect(await filter.mightContain('same')).toBe(true);
      expect(await filter.mightContain('other')).toBe(false);
    });

    it('handles empty and non-ASCII items', async () => {
      const filter = await make(100, 0.01);
      await filter.add('');
      await filter.add('jeton-é-🔑');
      expect(await filter.mightContain('')).toBe(true);
      expect(await filter.mightContain('jeton-é-🔑')).toBe(true);
      expect(await filter.mightContain('jeton-e-🔑')).toBe(false);
    });
  });
}
