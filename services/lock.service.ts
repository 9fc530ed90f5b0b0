import type { Context } from 'moleculer';
import { appLockKey, everyNodeService, nodeState } from '../shared/runtime/index.js';

interface KeyParams {
  key: string;
}

const key = { type: 'string', min: 1, max: 512 } as const;
const ms = { type: 'number', integer: true, positive: true, convert: true } as const;

/**
 * Distributed locks with fencing tokens, on every node (LOCK_ADAPTER_DEFAULT picks the store). Keys are
 * per app. `acquire` answers a token (to extend or release) and a fence that only ever grows per key.
 */
const LockService = everyNodeService({
  name: 'lock',
  actions: {
    acquire: {
      params: { key, ttl: ms, waitMs: { type: 'number', integer: true, min: 0, optional: true, convert: true } },
      async handler(ctx: Context<KeyParams & { ttl: number; waitMs?: number }>) {
        const handle = await nodeState(ctx.broker)
          .services()
          .cluster.lock.acquire(appLockKey(ctx, ctx.params.key), { ttlMs: ctx.params.ttl, waitMs: ctx.params.waitMs ?? 0 });
        return { token: handle.token, fence: handle.fence, expiresAt: handle.expiresAt };
      },
    },
    extend: {
      params: { key, token: 'string', ttl: ms },
      async handler(ctx: Context<KeyParams & { token: string; ttl: number }>) {
        const expiresAt = await nodeState(ctx.broker).services().cluster.lock.extend(appLockKey(ctx, ctx.params.key), ctx.params.token, ctx.params.ttl);
        return { expiresAt };
      },
    },
    release: {
      params: { key, token: 'string' },
      async handler(ctx: Context<KeyParams & { token: string }>) {
        return { released: await nodeState(ctx.broker).services().cluster.lock.release(appLockKey(ctx, ctx.params.key), ctx.params.token) };
      },
    },
    list: {
      params: { prefix: { type: 'string', optional: true } },
      async handler(ctx: Context<{ prefix?: string }>) {
        const app = appLockKey(ctx, '');
        const locks = await nodeState(ctx.broker).services().cluster.lock.list(app + (ctx.params.prefix ?? ''));
        return locks.map((l) => ({ ...l, key: l.key.slice(app.length) }));
      },
    },
  },
});

export = LockService;
