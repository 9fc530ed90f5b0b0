import { cbError } from '../errors/index.js';
import type { LockInfo } from '../lock/index.js';
import { askEach, type FanOut } from './fan-out.js';
import { answerPart, type LocalNode } from './local-node.js';
import type { ClusterAnswer, DeadLetterReport, LockReport, NodeChannel, NodeReport, PartName, QueueReport, RunningWork } from './types.js';

/** How the console reaches the other nodes: their ids and a call of `part` on one of them. */
export interface ClusterPort {
  readonly local: LocalNode;
  /** Every node the transporter knows, this one included (unavailable ones too: they are listed unreachable). */
  nodeIds(): string[];
  /** Asks `nodeId` (never the local node) for its part. */
  ask(nodeId: string, part: PartName): Promise<unknown>;
  /** Bound per node. */
  readonly timeoutMs: number;
}

const DEAD_LETTER_ID = /^(.+)#([^#]+)$/;

/**
 * The cluster console: any node answers for the whole cluster by asking every node for its part
 * (in parallel, bounded per node); a node that does not answer is listed as unreachable. Queue
 * depths, dead letters and the lock table come from the shared stores through this node's adapters.
 */
export class ClusterConsole {
  constructor(private readonly port: ClusterPort) {}

  private ask<T>(part: PartName, nodeIds = this.port.nodeIds()): Promise<FanOut<T>> {
    const local = this.port.local.nodeId;
    return askEach<T>(nodeIds, (id) => (id === local ? answerPart(this.port.local, part) : this.port.ask(id, part)) as Promise<T>, this.port.timeoutMs);
  }

  async nodes(): Promise<ClusterAnswer<'nodes', NodeReport[]>> {
    const { answers, unreachable } = await this.ask<NodeReport>('node');
    return { nodes: answers.map((a) => a.value).sort((a, b) => a.nodeId.localeCompare(b.nodeId)), unreachable };
  }

  async queues(): Promise<ClusterAnswer<'queues', QueueReport[]>> {
    const { answers, unreachable } = await this.ask<NodeChannel[]>('queues');
    const byChannel = new Map<string, { waiting: number; delayed: number; inFlight: number; deadLettered: number; oldestWaitingMs: number | null; consumers: Record<string, number> }>();
    for (const { nodeId, value } of answers) {
      for (const c of value) {
        const q = byChannel.get(c.channel) ?? { waiting: 0, delayed: 0, inFlight: 0, deadLettered: 0, oldestWaitingMs: null, consumers: {} };
        // Depths come from the shared broker (every node sees the same); the largest covers a node whose count lags.
        q.waiting = Math.max(q.waiting, c.waiting);
        q.delayed = Math.max(q.delayed, c.delayed);
        q.deadLettered = Math.max(q.deadLettered, c.deadLettered);
        if (c.oldestWaitingMs !== null) q.oldestWaitingMs = Math.max(q.oldestWaitingMs ?? 0, c.oldestWaitingMs);
        q.inFlight += c.inFlight;
        if (c.consumers !== null) q.consumers[nodeId] = c.consumers;
        byChannel.set(c.channel, q);
      }
    }
    const queues = [...byChannel].sort(([a], [b]) => a.localeCompare(b)).map(([channel, q]) => ({ channel, ...q }));
    return { queues, unreachable };
  }

  async locks(): Promise<ClusterAnswer<'locks', LockReport[]>> {
    const [all, held] = await Promise.all([this.port.local.cluster().lock.list(), this.ask<LockInfo[]>('locks')]);
    const holder = new Map<string, string>();
    for (const { nodeId, value } of held.answers) for (const l of value) holder.set(`${l.key}\u0000${l.fence}`, nodeId);
    const now = Date.now();
    const locks = all.map((l) => ({ key: l.key, holder: holder.get(`${l.key}\u0000${l.fence}`) ?? null, fence: l.fence, expiresInMs: Math.max(0, l.expiresAt - now) }));
    return { locks, unreachable: held.unreachable };
  }

  async executions(): Promise<ClusterAnswer<'running', RunningWork[]>> {
    const { answers, unreachable } = await this.ask<RunningWork[]>('work');
    return { running: answers.flatMap((a) => a.value).sort((a, b) => a.since - b.since), unreachable };
  }

  async deadLetters(limit = 100): Promise<ClusterAnswer<'deadLetters', DeadLetterReport[]>> {
    const { answers, unreachable } = await this.ask<NodeChannel[]>('queues');
    const channels = [...new Set(answers.flatMap((a) => a.value.map((c) => c.channel)))].sort();
    const queue = this.port.local.cluster().queue;
    const lists = await Promise.all(
      channels.map(async (channel) =>
        (await queue.deadLetters(channel, { limit })).map((d) => ({ id: `${channel}#${d.id}`, channel, messageId: d.id, error: d.error, attempts: d.attempts, failedAt: d.failedAt, message: d.message })),
      ),
    );
    return { deadLetters: lists.flat(), unreachable };
  }

  /** Requeues dead letters by console id (`<channel>#<message id>`) with a fresh set of attempts. */
  requeue(ids: readonly string[]): Promise<{ requeued: number }> {
    return this.byChannel(ids, async (channel, messageIds) => this.port.local.cluster().queue.requeueDeadLetters(channel, messageIds)).then((n) => ({ requeued: n }));
  }

  /** Removes dead letters for good, by console id. */
  discard(ids: readonly string[]): Promise<{ discarded: number }> {
    return this.byChannel(ids, async (channel, messageIds) => this.port.local.cluster().queue.discardDeadLetters(channel, messageIds)).then((n) => ({ discarded: n }));
  }

  /** Stops `nodeId` taking new work (its consumers pause; what it runs finishes); answers its report. */
  drain(nodeId: string): Promise<NodeReport> {
    return this.askOne(nodeId, 'drain');
  }

  undrain(nodeId: string): Promise<NodeReport> {
    return this.askOne(nodeId, 'undrain');
  }

  private async askOne(nodeId: string, part: PartName): Promise<NodeReport> {
    if (!this.port.nodeIds().includes(nodeId)) throw cbError('CB_ERR_HTTP_NOT_FOUND', `No node "${nodeId}" in this cluster`);
    const { answers, unreachable } = await this.ask<NodeReport>(part, [nodeId]);
    if (!answers[0]) throw cbError('CB_ERR_SERVICE_UNAVAILABLE', `Node "${nodeId}" did not answer: ${unreachable[0]?.error ?? 'unknown'}`);
    return answers[0].value;
  }

  private async byChannel(ids: readonly string[], run: (channel: string, messageIds: string[]) => Promise<number>): Promise<number> {
    const groups = new Map<string, string[]>();
    for (const id of ids) {
      const m = DEAD_LETTER_ID.exec(id);
      if (!m) throw cbError('CB_ERR_VALIDATION', `"${id}" is not a dead-letter id (<channel>#<message id>, as cluster:deadLetters lists them)`);
      groups.set(m[1]!, [...(groups.get(m[1]!) ?? []), m[2]!]);
    }
    let n = 0;
    for (const [channel, messageIds] of groups) n += await run(channel, messageIds);
    return n;
  }
}
