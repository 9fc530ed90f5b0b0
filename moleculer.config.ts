import type { BrokerOptions } from 'moleculer';
import { loadConfig } from './shared/config/index.js';
import { createBrokerOptions, orExitOnRefusal } from './shared/runtime/index.js';

/**
 * Broker options for every way clusterbase starts: `npm start` (scripts/start.ts) and
 * `moleculer-runner --config moleculer.config.ts services/<name>.service.ts`. The environment is read
 * and validated once, here; a bad variable refuses the start with one line naming it.
 */
const config = orExitOnRefusal(() => loadConfig());
const { brokerOptions } = createBrokerOptions(config, { exitOnRefusal: true });

export = brokerOptions satisfies BrokerOptions;
