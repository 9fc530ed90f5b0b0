import type { ClusterAdapters } from '../cluster-adapters/index.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { Secrets } from '../secrets/index.js';
import type { Logger } from '../errors/index.js';

/** What the node gives every app it opens (the runtime's NodeServices, plus a cluster-wide event). */
export interface AppNode {
  readonly config: Config;
  /** The node's main database; an app with a database of its own opens a sibling of it. */
  readonly database: Database;
  readonly secrets: Secrets;
  readonly cluster: ClusterAdapters;
  /** Sends an event to every node of the cluster (Moleculer broadcast), e.g. "stop this task". */
  broadcast(event: string, payload: unknown): Promise<void>;
}

export type AppLog = Pick<Logger, 'info' | 'warn' | 'error'>;

/**
 * Decides whether this node serves a sub-application: returns nothing when it does, throws the refusal
 * (404/403/503), or returns a promise when it must look the app up first (then it is asked again).
 */
export type AppGuard = (app: string) => void | Promise<void>;

/** A background processor following the sub-applications that run on this node's environment. */
export interface AppsListener {
  started(app: string): void | Promise<void>;
  stopped(app: string): void | Promise<void>;
  /** A listener call failed (logged by the listener's owner). */
  onError?(err: unknown, app: string): void;
}
