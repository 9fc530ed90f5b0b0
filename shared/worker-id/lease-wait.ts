import type { WorkerIdAllocator } from './types.js';

/**
 * Wraps an action handler so that, while the node holds no worker-ID lease (between a loss and the
 * next lease), the call first waits up to `waitMs` for one instead of failing at once with
 * CB_ERR_ID_NO_WORKER_ID; after that it runs anyway (and fails with that retryable 503 if it needs an
 * ID). Reads (`rest.write === false`) and actions that never issue IDs are not wrapped.
 */
export function waitForLease<C, R>(next: (ctx: C) => R, action: { name?: string; rest?: unknown }, allocator: () => WorkerIdAllocator | null, waitMs: number): (ctx: C) => R | Promise<R> {
  const rest = action.rest as { write?: boolean } | undefined;
  if (waitMs <= 0 || rest?.write === false || /^(\$node|worker-id)\./.test(action.name ?? '')) return next;
  return (ctx) => {
    const ids = allocator();
    if (!ids || ids.healthy()) return next(ctx);
    return ids.whenHealthy(waitMs).then(() => next(ctx));
  };
}
