import type { LocalCluster, RunningNode } from '../../scripts/local-cluster';
import type { Middleware } from './middleware';

/** The middleware of one run; `rabbitmq` only when the profile asks for the RabbitMQ queue. */
export interface ChaosMiddleware {
  readonly postgres: Middleware;
  readonly redis: Middleware;
  readonly nats: Middleware;
  readonly rabbitmq?: Middleware;
}

export type NodeRole = 'request' | 'workflow' | 'async-task';

/** What a profile's `apply` gets: the running cluster, its middleware and a few helpers. */
export interface FaultContext {
  readonly middleware: ChaosMiddleware;
  readonly cluster: LocalCluster;
  /** The nodes of a role (one request node, two workflow nodes, one async-task node). */
  nodes(role: NodeRole): RunningNode[];
  /** Waits until some execution is mid-way (STARTED), so the next fault surely hits work in flight. */
  busy(): Promise<void>;
  /** Prints a progress line (prefixed with the profile and the seconds since the faults began). */
  log(message: string): void;
  sleep(ms: number): Promise<void>;
}

/**
 * One fault profile: one file in profiles/, registered in profiles/index.ts. The harness starts the
 * middleware and the cluster, starts the write load and the export, calls `apply`, then checks the
 * same invariants for every profile (see README.md).
 */
export interface Profile {
  readonly name: string;
  /** One line for `npm run chaos -- --list` and docs/operations.md. */
  readonly summary: string;
  /** Redis with an append-only file (data kept over a restart); default true. */
  readonly redisPersist?: boolean;
  /** The queue adapter of the nodes; default redis (BullMQ). */
  readonly queue?: 'redis' | 'rabbitmq';
  /**
   * Starters replacing the default ones (e.g. a Sentinel-fronted Redis, a three-server NATS cluster);
   * the returned `url` is what every node is given (REDIS_URL / TRANSPORTER).
   */
  readonly middleware?: {
    readonly redis?: () => Promise<Middleware>;
    readonly nats?: () => Promise<Middleware>;
  };
  /** Extra node environment (added after the harness's own). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Applies the faults while writes flow. Resolves once the last fault is over from the outside
   * (middleware back up, killed nodes started again); recovery is measured from that moment.
   */
  apply(ctx: FaultContext): Promise<void>;
}

/** What one run of a profile measured and found. */
export interface Verdict {
  readonly profile: string;
  readonly passed: boolean;
  readonly writes: number;
  readonly retries: number;
  readonly longestAckMs: number;
  readonly recoveryMs: number;
  readonly exportRows: number;
  readonly totalMs: number;
  /** Each failed check, in words; empty when passed. */
  readonly problems: string[];
  /** Where the node and middleware logs of the run were written. */
  readonly logDir: string;
}
