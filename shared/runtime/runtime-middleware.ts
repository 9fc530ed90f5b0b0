import type { FastifyInstance } from 'fastify';
import type { ActionHandler, ActionSchema, Middleware, Service, ServiceBroker, ServiceSchema } from 'moleculer';
import { StartupRefusal } from '../errors/index.js';
import { startDatabase, type DatabaseHandle } from '../db/index.js';
import { selects } from '../worker-mode/index.js';
import { listeningPort, startManagementServer } from './management-server.js';
import type { PrometheusTextReporter } from './metrics-reporter.js';
import { attachNodeState, type NodeState } from './node-state.js';
import { exitWithRefusal } from './refusal.js';
import { appModeAllows, describeRole, discoverServices, selectServices, type ServiceEntry } from './service-catalogue.js';
import type { ServiceMetadata } from './types.js';
import { ClusterAdapters } from '../cluster-adapters/index.js';
import { nodeServices } from './node-services.js';
import { checkFingerprints, loadSecrets } from '../secrets/index.js';
import { inProcessConflict, watchAdapters } from './adapter-health.js';
import { waitForLease } from '../cluster-adapters/index.js';
import { NodeIdGuard } from './node-id-guard.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RuntimeOptions {
  readonly exitOnRefusal?: boolean;
  readonly catalogue?: () => ServiceEntry[];
}

/**
 * Ties a node's lifecycle to its broker, however the broker was launched (npm start or
 * moleculer-runner with one service file):
 * - created: the node state is attached to the broker;
 * - serviceCreating: a service WORKER_MODE does not select is refused, naming it;
 * - starting: the management port opens (liveness answers during a long migration), WORKER_MODE keys
 *   are checked against the service files, every-node services are added, the database comes up,
 *   then the cluster adapters connect and a worker ID is leased;
 * - started: in-process adapters on a node that has company in its cluster refuse the start;
 * - stopping: readiness turns 503 at once, the node keeps serving for SHUTDOWN_DELAY, then the
 *   gateway drains its in-flight requests while the services behind it are still up;
 * - stopped: the management port and the database close.
 */
export function runtimeMiddleware(state: NodeState, metrics: PrometheusTextReporter, opts: RuntimeOptions = {}): Middleware {
  const catalogue = opts.catalogue ?? discoverServices;
  let management: FastifyInstance | null = null;
  let db: DatabaseHandle | null = null;
  let adapters: ClusterAdapters | null = null;
  let stopWatching: (() => Promise<void>) | null = null;
  let nodeIds: NodeIdGuard | null = null;

  const refuse = (err: unknown): never => {
    if (opts.exitOnRefusal && err instanceof StartupRefusal) exitWithRefusal(err);
    throw err;
  };

  const start = async (broker: ServiceBroker): Promise<void> => {
    const log = broker.getLogger('runtime');
    management = await startManagementServer(broker, state, metrics);
    log.info(`management port ${listeningPort(management)}: /healthz /readyz /metrics`);

    const selected = selectServices(catalogue(), state.config.workerMode, state.config.apps.mode);
    const loaded = new Set(broker.services.map((s) => s.name));
    for (const entry of selected) {
      if (entry.role.kind === 'every-node' && !loaded.has(entry.schema.name)) broker.createService(entry.schema);
    }

    try {
      db = await startDatabase(state.config.db, log);
    } catch (err) {
      if (err instanceof StartupRefusal) throw err;
      const target = state.config.db.kind === 'external' ? new URL(state.config.db.url).host : 'embedded';
      throw new StartupRefusal('CB_ERR_DB_UNAVAILABLE', [`database (${target}) is not usable: ${(err as Error).message}`]);
    }
    log.info(`database ${db.database.describe} (schema "${state.config.db.schema}") ready`);

    const clustered = state.config.transporter !== null || state.config.clusterMode !== null;
    const secrets = loadSecrets({
      appKey: state.config.secrets.appKey ?? undefined,
      aesKeyHex: state.config.secrets.aesKeyHex ?? undefined,
      storagePath: state.config.storagePath,
      clustered,
      log: { warn: (m) => log.warn(m), error: (m) => log.error(m) },
    });
    const database = db.database;
    // A node whose keys differ from the ones the database was first started with must not serve:
    // its tokens would be refused elsewhere and its encrypted values unreadable. Never fatal at start,
    // so an operator can see the reason on /readyz.
    const mismatches = await checkFingerprints(database.fork(), state.config.db.schema, secrets);
    for (const m of mismatches) log.error(m);
    state.addCheck('secrets', async () => {
      if (mismatches.length > 0) throw new Error(mismatches.join('; '));
    });

    const cluster = new ClusterAdapters(state.config, broker, log);
    try {
      await cluster.connect();
    } catch (err) {
      await cluster.close().catch(() => undefined);
      throw err;
    }
    adapters = cluster;
    state.setServices(nodeServices({ config: state.config, database, secrets, cluster }));
    stopWatching = watchAdapters(broker, state, cluster);
  };

  /**
   * In-process adapters are fine alone and wrong beside other nodes. Other nodes answer discovery
   * within a heartbeat; one that is there by then refuses this start, naming the adapters.
   */
  const refuseSharedInProcessAdapters = async (broker: ServiceBroker): Promise<void> => {
    if (!state.config.transporter || !adapters || adapters.inProcess().length === 0) return;
    await sleep(Math.min(state.config.heartbeatMs, 2000));
    const conflict = inProcessConflict(broker, adapters);
    if (conflict) throw new StartupRefusal('CB_ERR_CONFIG_INVALID', [conflict]);
  };

  const middleware: Middleware = {
    name: 'ClusterbaseRuntime',

    created(broker: ServiceBroker) {
      attachNodeState(broker, state);
      if (state.config.transporter) {
        const log = broker.getLogger('runtime');
        nodeIds = new NodeIdGuard(broker, Math.min(state.config.heartbeatMs, 1000), { warn: (m) => log.warn(m), error: (m) => log.error(m) });
        // Found only after the start (a lost race): this process gives the ID back by leaving (it sends nothing more).
        nodeIds.whenConflict((message) => {
          log.fatal(message);
          if (opts.exitOnRefusal) exitWithRefusal(new StartupRefusal('CB_ERR_CONFIG_INVALID', [message]));
        });
      }
    },

    // A second process with a live NODE_ID refuses to start; the running one keeps serving (node-id-guard.ts).
    // (Moleculer's typings say these hooks return a promise; they return the wrapped function.)
    // Wrapped when the transit is made, before `created`: the guard is looked up per packet.
    transitPublish: ((next: Parameters<NodeIdGuard['publish']>[0]) => (packet: Parameters<typeof next>[0]) => (nodeIds ? nodeIds.publish(next)(packet) : next(packet))) as never,
    transitMessageHandler: ((next: Parameters<NodeIdGuard['receive']>[0]) => (cmd: string, packet: Parameters<typeof next>[1]) =>
      nodeIds ? nodeIds.receive(next)(cmd, packet) : next(cmd, packet)) as never,

    // While the worker-ID lease is being recovered, writes wait for it (WORKER_ID_WAIT) instead of failing.
    localAction(next: ActionHandler, action: ActionSchema) {
      return waitForLease(next, action, () => adapters?.workerIds ?? null, state.config.adapters.workerId.waitMs) as ActionHandler;
    },

    serviceCreating(_service: Service, schema: ServiceSchema) {
      const appMode = (schema.metadata as ServiceMetadata | undefined)?.appMode;
      if (!appModeAllows(appMode, state.config.apps.mode)) {
        refuse(new StartupRefusal('CB_ERR_CONFIG_INVALID', [`APP_MODE: service "${schema.name}" runs only with APP_MODE=${appMode} (this node: APP_MODE=${state.config.apps.mode})`]));
      }
      const role = (schema.metadata as ServiceMetadata | undefined)?.role;
      if (role && !selects(state.config.workerMode, role)) {
        refuse(
          new StartupRefusal('CB_ERR_CONFIG_WORKER_MODE', [
            `WORKER_MODE: service "${schema.name}" (${describeRole(role)}) is not served by WORKER_MODE="${state.config.workerMode.raw}"`,
          ]),
        );
      }
    },

    async starting(broker: ServiceBroker) {
      await start(broker).catch(async (err) => {
        await management?.close();
        refuse(err);
      });
    },

    async started(broker: ServiceBroker) {
      // Thrown, not exited: the launcher stops the node (releasing its worker ID) before it exits.
      if (nodeIds) {
        await nodeIds.wait();
        if (nodeIds.conflict) throw new StartupRefusal('CB_ERR_CONFIG_INVALID', [nodeIds.conflict]);
      }
      await refuseSharedInProcessAdapters(broker);
      broker
        .getLogger('runtime')
        .info(`node ${broker.nodeID} ready: WORKER_MODE="${state.config.workerMode.raw}", services ${broker.services.map((s) => s.name).join(', ')}`);
    },

    async stopping(broker: ServiceBroker) {
      state.draining = true;
      if (state.config.shutdown.delayMs > 0) {
        broker.getLogger('runtime').info(`draining: readiness is 503, stopping in ${state.config.shutdown.delayMs} ms`);
        await sleep(state.config.shutdown.delayMs);
      }
      await state.drain();
    },

    async stopped() {
      nodeIds?.stop();
      await management?.close();
      await stopWatching?.();
      state.setServices(null);
      await adapters?.close();
      await db?.stop();
    },
  };
  return middleware;
}
