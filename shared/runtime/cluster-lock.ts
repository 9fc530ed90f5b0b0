import type { Context } from 'moleculer';
import { withLock, type LockedWork, type WithLockOptions } from '../cluster-adapters/index.js';
import { nodeState } from './node-state.js';

/** Lock keys are per app: the same key in two apps names two locks. */
export function appLockKey(ctx: Context, key: string): string {
  return `${(ctx.meta as { app?: string }).app ?? 'main'}:${key}`;
}

/**
 * Runs `fn` holding the cluster-wide lock `key` of the caller's app: the lease is renewed while `fn`
 * runs, and `fn`'s AbortSignal fires (then the call rejects with LockLostError) if the lease is lost.
 * `fn` also receives the fence, to be checked where it writes.
 */
export function withClusterLock<T>(ctx: Context, key: string, fn: LockedWork<T>, options: WithLockOptions): Promise<T> {
  return withLock(nodeState(ctx.broker).services().cluster.lock, appLockKey(ctx, key), fn, options);
}
