import { resolveKeyValueCache } from '../../index.js';
import { keyValueCacheContract } from '../contract/key-value-cache.contract.js';

keyValueCacheContract('memory', async (prefix) => {
  const cache = resolveKeyValueCache({ type: 'memory', prefix });
  await cache.connect();
  return cache;
});

keyValueCacheContract('local (alias of memory)', async (prefix) => {
  const cache = resolveKeyValueCache({ type: 'local', prefix });
  await cache.connect();
  return cache;
});
