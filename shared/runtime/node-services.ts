import type { ClusterAdapters } from '../cluster-adapters/index.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { Secrets } from '../secrets/index.js';

/**
 * What a started node has: its configuration, the main database, APP_KEY and the AES key, and the
 * cluster middleware. Created once when the node starts (database up, keys loaded, adapters
 * connected), frozen, and dropped when it stops; asking for it before is a 503 (CB_ERR_NODE_NOT_STARTED).
 */
export interface NodeServices {
  readonly config: Config;
  readonly database: Database;
  readonly secrets: Secrets;
  readonly cluster: ClusterAdapters;
}

export function nodeServices(parts: NodeServices): NodeServices {
  return Object.freeze({ ...parts });
}
