import { AuthService, ensureRootUser, Hs256TokenService } from '../auth/index.js';
import type { NodeState } from './node-state.js';

type Log = { info(m: string): void; warn(m: string): void; error(m: string): void };

const services = new WeakMap<NodeState, Map<string, Promise<AuthService>>>();

/**
 * The AuthService of one app on this node, created once: tokens signed with APP_KEY, the shared
 * signed-out list (the cluster Bloom filter + table), the root user made at first start, and the
 * filter refilled from the table (so a flushed Redis does not bring signed-out tokens back).
 */
export function appAuth(state: NodeState, app: string, log: Log): Promise<AuthService> {
  // Sub-applications: only those this node hosts (assigned to its environment, or shared-memory apps).
  if (app !== 'main') {
    try {
      const pending = state.assertHosts(app);
      if (pending) return pending.then(() => appAuth(state, app, log));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  let byApp = services.get(state);
  if (!byApp) services.set(state, (byApp = new Map()));
  let service = byApp.get(app);
  if (!service) {
    service = createAppAuth(state, app, log);
    service.catch(() => byApp!.delete(app));
    byApp.set(app, service);
  }
  return service;
}

async function createAppAuth(state: NodeState, app: string, log: Log): Promise<AuthService> {
  const { secrets, cluster } = state.services();
  const database = state.databaseOf(app);
  const schema = state.schemaOf(app);
  const tokens = new Hs256TokenService({ key: secrets.appKey, expiresInSec: Math.round(state.config.auth.tokenTtlMs / 1000), clockToleranceSec: 5 });
  const auth = new AuthService({ schema, app, tokens, signedOut: cluster.bloom, log, guard: cluster.signInGuard });
  const em = database.fork(schema);
  // INIT_ROOT_* make the main app's root only: a sub-app's root comes from applications:create (the
  // app host makes it at the first start), so no tenant shares the supervisor's credentials.
  if (app === 'main') await ensureRootUser(em, schema, { ...state.config.auth.root, ids: cluster.ids, log });
  await auth.refillSignedOutFilter(em);
  return auth;
}

/** Forgets an app's AuthService on this node (app stopped or removed). */
export function forgetAppAuth(state: NodeState, app: string): void {
  services.get(state)?.delete(app);
}
