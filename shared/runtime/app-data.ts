import { AppData } from '../data-api/index.js';
import { cbError } from '../errors/index.js';
import type { NodeState } from './node-state.js';
import { WorkflowApp } from '../workflow/index.js';

type Log = { warn(m: string): void; info?(m: string): void; error?(m: string): void };

const registries = new WeakMap<NodeState, Map<string, Promise<AppData>>>();
const workflowApps = new WeakMap<AppData, WorkflowApp>();

/** One app's workflows on this node (engine, triggers, queue side), opened with the app's data. */
export async function appWorkflows(state: NodeState, app: string, log: Log): Promise<WorkflowApp> {
  return workflowApps.get(await appData(state, app, log))!;
}

/** One app's collections and records on this node, opened once (metadata loaded, sync subscribed). */
export function appData(state: NodeState, app: string, log: Log): Promise<AppData> {
  // Sub-applications: only those this node hosts (assigned to its environment, or shared-memory apps).
  if (app !== 'main') {
    try {
      const pending = state.assertHosts(app);
      if (pending) return pending.then(() => appData(state, app, log));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  let byApp = registries.get(state);
  if (!byApp) registries.set(state, (byApp = new Map()));
  let data = byApp.get(app);
  if (!data) {
    if (!state.started) return Promise.reject(cbError('CB_ERR_NODE_NOT_STARTED'));
    const { secrets, cluster } = state.services();
    const database = state.databaseOf(app);
    const schema = state.schemaOf(app);
    data = AppData.open({ app, schema, ids: cluster.ids, aesKey: secrets.aesKey, lock: cluster.lock, sync: cluster.sync, fork: () => database.fork(schema), log }).then(
      async (opened) => {
        // Workflow triggers ride on every write of the app's records, on every node that writes them.
        const wf = await WorkflowApp.open({
          app, schema, ids: cluster.ids, data: opened, aesKey: secrets.aesKey, queue: cluster.queue, sync: cluster.sync.forApp(app),
          lock: cluster.lock, fork: () => database.fork(schema), settings: state.config.workflow, nodeId: state.config.nodeId,
          log: { info: (m) => log.info?.(m), warn: (m) => log.warn(m), error: (m) => (log.error ?? log.warn)(m) },
        });
        opened.records.addHook(wf.hook);
        workflowApps.set(opened, wf);
        return opened;
      },
    );
    data.catch(() => byApp!.delete(app));
    byApp.set(app, data);
  }
  return data;
}

/** Closes and forgets an app's data on this node (app stopped or removed); the next open reloads it. */
export async function forgetAppData(state: NodeState, app: string): Promise<void> {
  const byApp = registries.get(state);
  const data = byApp?.get(app);
  if (!data) return;
  byApp!.delete(app);
  await data.then(async (d) => {
    await workflowApps.get(d)?.close();
    await d.close();
  }).catch(() => undefined);
}
