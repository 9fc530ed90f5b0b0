import { resolveBloomFilter } from '../../index.js';
import { bloomFilterContract } from '../contract/bloom-filter.contract.js';

bloomFilterContract('memory', async ({ prefix, expectedItems, falsePositiveRate }) => {
  const filter = resolveBloomFilter({ type: 'memory', name: 'contract', prefix, expectedItems, falsePositiveRate });
  await filter.connect();
  return filter;
});
