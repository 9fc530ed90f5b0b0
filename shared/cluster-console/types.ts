/** A readiness check as /readyz reports it. */
export interface CheckResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

/** One node as `cluster:nodes` shows it. */
export interface NodeReport {
  readonly nodeId: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly workerMode: string;
  /** What the node serves: `!` (requests) and the processor keys. */
  readonly serves: readonly string[];
  readonly services: readonly string[];
  readonly uptimeSec: number;
  readonly status: 'ready' | 'draining' | 'drained' | 'not ready';
  readonly ready: boolean;
  readonly drained: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
  readonly workerId: { readonly id: number | null; readonly healthy: boolean; readonly leaseAgeMs: number | null };
  readonly eventLoopLagMs: number;
  readonly rssBytes: number;
  readonly inFlight: { readonly requests: number; readonly executions: number; readonly tasks: number; readonly messages: number };
}

/** A node that did not answer within its timeout (or answered with an error). */
export interface Unreachable {
  readonly nodeId: string;
  readonly error: string;
}

/** Every cluster answer names the nodes it could not ask. */
export type ClusterAnswer<K extends string, T> = { readonly [key in K]: T } & { readonly unreachable: readonly Unreachable[] };

/** One node's view of one channel. */
export interface NodeChannel {
  readonly channel: string;
  readonly waiting: number;
  readonly delayed: number;
  readonly deadLettered: number;
  readonly oldestWaitingMs: number | null;
  /** This node's consumers of the channel (0 while drained); null when it only publishes there. */
  readonly consumers: number | null;
  readonly inFlight: number;
}

export interface QueueReport {
  readonly channel: string;
  readonly waiting: number;
  readonly delayed: number;
  /** Handlers running now, summed over the nodes that answered. */
  readonly inFlight: number;
  readonly deadLettered: number;
  /** Age of the oldest waiting message in ms (0: none waits; null: the broker cannot tell, RabbitMQ). */
  readonly oldestWaitingMs: number | null;
  /** Live consumers per consuming node (a drained one shows 0; nodes that only publish are not listed). */
  readonly consumers: Readonly<Record<string, number>>;
}

export interface LockReport {
  readonly key: string;
  /** The node holding it, or null when no answering node claims it (its holder is unreachable or gone). */
  readonly holder: string | null;
  readonly fence: number;
  readonly expiresInMs: number;
}

/** A delivery a node runs now: a workflow execution, an import/export task or another message. */
export interface RunningWork {
  readonly nodeId: string;
  readonly kind: 'execution' | 'task' | 'message';
  readonly app: string | null;
  /** The execution or task id (else the message id). */
  readonly id: string;
  readonly channel: string;
  readonly messageId: string;
  readonly attempt: number;
  /** Epoch ms. */
  readonly since: number;
  readonly runningMs: number;
}

export interface DeadLetterReport {
  /** `<channel>#<message id>`: what requeue and discard take. */
  readonly id: string;
  readonly channel: string;
  readonly messageId: string;
  readonly error: string;
  readonly attempts: number;
  readonly failedAt: number;
  readonly message: unknown;
}

/** What a node answers about itself when another node asks (the `cluster.part` action). */
export type PartName = 'node' | 'queues' | 'locks' | 'work' | 'drain' | 'undrain';
