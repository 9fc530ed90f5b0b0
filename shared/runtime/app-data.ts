import { AppData } from '../data-api/index.js';
import { cbError } from '../errors/index.js';
import type { NodeState } from './node-state.js';

type Log = { warn(m: string): void };

const registries = new WeakMap<NodeState, Map<string, Promise<AppData>>>();

/** One app's collections and records on this node, opened once (metadata loaded, sync subscribed). */
export function appData(state: NodeState, app: string, log: Log): Promise<AppData> {
  // Sub-applications get their schema from the supervisor (issue 7); until then only `main` exists.
  if (app !== 'main') return Promise.reject(cbError('CB_ERR_HTTP_NOT_FOUND', `App "${app}" not found`));
  let byApp = registries.get(state);
  if (!byApp) registries.set(state, (byApp = new Map()));
  let data = byApp.get(app);
  if (!data) {
    const secrets = state.secrets;
    const database = state.database;
    if (!secrets || !database) return Promise.reject(new Error('the node is not started'));
    const cluster = state.cluster();
    const schema = state.schemaOf(app);
    data = AppData.open({ app, schema, ids: cluster.ids, aesKey: secrets.aesKey, lock: cluster.lock, sync: cluster.sync, fork: () => database.fork(schema), log });
    data.catch(() => byApp!.delete(app));
    byApp.set(app, data);
  }
  return data;
}
