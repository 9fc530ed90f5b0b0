import { bloomParameters, bloomPositions, checkItem } from './bloom-math.js';
import type { BloomFilter, BloomParameters } from './types.js';

/** In-process Bloom filter over a bit array; each instance is its own filter (single-process mode). */
export class MemoryBloomFilter implements BloomFilter {
  readonly kind = 'memory' as const;
  readonly parameters: BloomParameters;
  private readonly bitArray: Uint8Array;

  constructor(options: { expectedItems: number; falsePositiveRate: number }) {
    this.parameters = bloomParameters(options.expectedItems, options.falsePositiveRate);
    this.bitArray = new Uint8Array(Math.ceil(this.parameters.bits / 8));
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  async add(item: string): Promise<void> {
    for (const p of bloomPositions(checkItem(item), this.parameters)) this.bitArray[p >>> 3] |= 0x80 >>> (p & 7);
  }

  async mightContain(item: string): Promise<boolean> {
    return bloomPositions(checkItem(item), this.parameters).every((p) => (this.bitArray[p >>> 3] & (0x80 >>> (p & 7))) !== 0);
  }
}
