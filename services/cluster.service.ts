import type { ActionParams, Context } from 'moleculer';
import { forbiddenError } from '../shared/auth/index.js';
import { cbError } from '../shared/errors/index.js';
import { answerPart, ClusterConsole, registerClusterPage, registerQueueEvents, type PartName } from '../shared/cluster-console/index.js';
import { everyNodeService, nodeState } from '../shared/runtime/index.js';
import { clusterPort, localNode } from './support/cluster-port.js';
import { registerNodeGauges } from './support/node-gauges.js';
import { restAction } from './support/rest-action.js';

const PARTS: PartName[] = ['node', 'queues', 'locks', 'work', 'drain', 'undrain'];
const limit = { limit: { type: 'number', integer: true, min: 1, max: 1000, optional: true, convert: true } } as const;

/** A console action: main app, root or admin only, answered for the whole cluster by this node. */
const admin = (action: string, write: boolean, params: ActionParams | undefined, run: (c: ClusterConsole, p: object) => Promise<unknown>) =>
  restAction<ActionParams | undefined, { broker: Context['broker'] }>(
    { resource: 'cluster', action, write, access: 'signed-in', mainAppOnly: 'The cluster console belongs to the main app', params },
    async function (_app, caller, _em, p) {
      if (!caller.isAdmin) throw forbiddenError();
      return { data: await run(new ClusterConsole(clusterPort(this.broker)), p) };
    },
  );

/** A write's input, from the query (`?node=`) or the JSON body (NocoBase puts a body in `values`). */
const input = (p: object, name: string): unknown => (p as Record<string, unknown>)[name] ?? ((p as { values?: Record<string, unknown> }).values ?? {})[name];
const nodeOf = (p: object): string => {
  const node = input(p, 'node') ?? input(p, 'filterByTk');
  if (typeof node !== 'string' || node === '') throw cbError('CB_ERR_VALIDATION', 'node (the node ID) is required');
  return node;
};
const idsOf = (p: object): string[] => {
  const ids = input(p, 'ids');
  const list = typeof ids === 'string' ? [ids] : ids;
  if (!Array.isArray(list) || list.length === 0 || !list.every((i) => typeof i === 'string')) throw cbError('CB_ERR_VALIDATION', 'ids (dead-letter ids as cluster:deadLetters lists them) is required');
  return list as string[];
};

/**
 * The cluster console's API on every node (`cluster:*`, root and admin): nodes, queues, locks,
 * running work and dead letters of the whole cluster, drain/undrain of a node. `part` is what each
 * node answers about itself when another asks. Logic in shared/cluster-console.
 */
const ClusterService = everyNodeService({
  name: 'cluster',
  created() {
    // The console page on gateway nodes (applied by the api service when the node has one).
    nodeState(this.broker).addHttpRoutes((server) => {
      registerClusterPage(server);
      // The page's live queue table: the same action, asked with the page's token.
      registerQueueEvents(server, async (authorization) => ((await this.broker.call('cluster.queues', {}, { meta: { app: 'main', authorization } })) as { data: unknown }).data);
    });
  },
  started() {
    registerNodeGauges(this.broker);
  },
  actions: {
    part: {
      visibility: 'public',
      params: { part: { type: 'enum', values: PARTS } },
      handler(ctx: Context<{ part: PartName }>) {
        return answerPart(localNode(ctx.broker), ctx.params.part);
      },
    },
    nodes: admin('nodes', false, undefined, (c) => c.nodes()),
    queues: admin('queues', false, undefined, (c) => c.queues()),
    locks: admin('locks', false, undefined, (c) => c.locks()),
    executions: admin('executions', false, undefined, (c) => c.executions()),
    'deadLetters.list': admin('deadLetters', false, limit, (c, p) => c.deadLetters((p as { limit?: number }).limit)),
    'deadLetters.requeue': admin('requeueDeadLetters', true, undefined, (c, p) => c.requeue(idsOf(p))),
    'deadLetters.discard': admin('discardDeadLetters', true, undefined, (c, p) => c.discard(idsOf(p))),
    drain: admin('drain', true, undefined, (c, p) => c.drain(nodeOf(p))),
    undrain: admin('undrain', true, undefined, (c, p) => c.undrain(nodeOf(p))),
  },
});

export = ClusterService;
