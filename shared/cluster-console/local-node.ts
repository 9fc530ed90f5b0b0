import type { ClusterAdapters } from '../cluster-adapters/index.js';
import type { Delivery } from '../cluster-adapters/index.js';
import { eventLoopLagMs } from './event-loop-lag.js';
import type { CheckResult, NodeChannel, NodeReport, PartName, RunningWork } from './types.js';
import type { LockInfo } from '../lock/index.js';

/** What the console reads of the node it runs on (the service builds it from the broker and the node state). */
export interface LocalNode {
  readonly nodeId: string;
  readonly host: string;
  readonly version: string;
  readonly workerMode: string;
  /** `!` and the processor keys this node serves. */
  readonly serves: readonly string[];
  services(): string[];
  readiness(): Promise<{ readonly ready: boolean; readonly status: string; readonly checks: Readonly<Record<string, CheckResult>> }>;
  /** The started node's cluster middleware (throws CB_ERR_NODE_NOT_STARTED before start). */
  cluster(): ClusterAdapters;
  /** Moleculer calls being handled now, without the console's own. */
  activeRequests(): number;
  readonly log: { info(message: string): void; error(message: string): void };
}

/** What a delivered message is: a workflow execution (`executionId`), a task (`taskId`) or something else. */
export function describeDelivery(nodeId: string, d: Delivery, now = Date.now()): RunningWork {
  const m = (d.message ?? {}) as { app?: unknown; executionId?: unknown; taskId?: unknown };
  const kind = m.executionId !== undefined ? 'execution' : m.taskId !== undefined ? 'task' : 'message';
  const id = kind === 'execution' ? String(m.executionId) : kind === 'task' ? String(m.taskId) : d.id;
  return { nodeId, kind, app: typeof m.app === 'string' ? m.app : null, id, channel: d.channel, messageId: d.id, attempt: d.attempt, since: d.since, runningMs: now - d.since };
}

export async function nodeReport(node: LocalNode): Promise<NodeReport> {
  const health = await node.readiness();
  let cluster: ClusterAdapters | null = null;
  try {
    cluster = node.cluster();
  } catch {
    // not started: no lease, no work
  }
  const work = (cluster?.work.inFlight() ?? []).map((d) => describeDelivery(node.nodeId, d));
  const count = (kind: RunningWork['kind']) => work.filter((w) => w.kind === kind).length;
  const drained = cluster?.work.drained ?? false;
  return {
    nodeId: node.nodeId,
    host: node.host,
    pid: process.pid,
    version: node.version,
    workerMode: node.workerMode,
    serves: node.serves,
    services: node.services(),
    uptimeSec: Math.round(process.uptime()),
    status: health.status as NodeReport['status'],
    ready: health.ready,
    drained,
    checks: health.checks,
    workerId: {
      id: cluster?.workerIds.current() ?? null,
      healthy: cluster?.workerIds.healthy() ?? false,
      leaseAgeMs: cluster?.leasedAt ? Date.now() - cluster.leasedAt : null,
    },
    eventLoopLagMs: eventLoopLagMs(),
    rssBytes: process.memoryUsage.rss(),
    inFlight: { requests: node.activeRequests(), executions: count('execution'), tasks: count('task'), messages: count('message') },
  };
}

async function channels(cluster: ClusterAdapters): Promise<NodeChannel[]> {
  const consumers = cluster.work.consumers();
  const running = cluster.work.inFlight();
  const names = [...new Set([...cluster.queueChannels, ...consumers.keys()])].sort();
  return Promise.all(
    names.map(async (channel) => {
      const [stats, oldestWaitingMs] = await Promise.all([cluster.queue.stats(channel), cluster.queue.oldestWaitingMs(channel)]);
      return {
        channel,
        waiting: stats.waiting,
        delayed: stats.delayed,
        deadLettered: stats.deadLettered,
        oldestWaitingMs,
        consumers: consumers.get(channel) ?? null,
        inFlight: running.filter((d) => d.channel === channel).length,
      };
    }),
  );
}

/**
 * This node's answer when the console (on any node) asks it: its report, its channels, the locks it
 * holds, what it runs, or a drain/undrain of itself. A drain returns at once: the node stops taking
 * messages now and finishes the ones it holds in the background.
 */
export async function answerPart(node: LocalNode, part: PartName): Promise<NodeReport | NodeChannel[] | LockInfo[] | RunningWork[]> {
  switch (part) {
    case 'node':
      return nodeReport(node);
    case 'queues':
      return channels(node.cluster());
    case 'locks':
      return node.cluster().work.heldLocks();
    case 'work':
      return node.cluster().work.inFlight().map((d) => describeDelivery(node.nodeId, d));
    case 'drain': {
      const work = node.cluster().work;
      if (!work.drained) {
        node.log.info(`node ${node.nodeId} drained: its queue consumers take no new messages and finish the ${work.inFlight().length} they run`);
        void work.drain().then(
          () => node.log.info(`node ${node.nodeId} drained: in-flight work finished`),
          (err: unknown) => node.log.error(`node ${node.nodeId}: pausing its consumers failed: ${(err as Error).message}`),
        );
      }
      return nodeReport(node);
    }
    case 'undrain': {
      const work = node.cluster().work;
      if (work.drained) {
        await work.undrain();
        node.log.info(`node ${node.nodeId} undrained: its queue consumers take messages again`);
      }
      return nodeReport(node);
    }
  }
}
