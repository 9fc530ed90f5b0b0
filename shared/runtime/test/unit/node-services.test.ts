import type { Context } from 'moleculer';
import { loadConfig } from '../../../config';
import { entityManagerMiddleware } from '../../../db';
import { mapError } from '../../../gateway';
import { NodeState } from '../../node-state';

const notStarted = expect.objectContaining({ code: 503, type: 'CB_ERR_NODE_NOT_STARTED', retryable: true });

describe('a node before it has started', () => {
  const state = new NodeState(loadConfig({}));

  test('has no services yet: asking for them is a 503, never a null', () => {
    expect(state.started).toBe(false);
    expect(() => state.services()).toThrow(notStarted);
    expect(() => state.databaseOf('main')).toThrow(notStarted);
    expect(() => state.databaseOfSchema('public')).toThrow(notStarted);
  });

  test('refuses to open an app database with the same 503', async () => {
    await expect(state.openAppDatabase('shop', 'cb_shop')).rejects.toEqual(notStarted);
  });

  test('a call reaching its database answers 503 through the gateway', async () => {
    const middleware = entityManagerMiddleware((app) => state.databaseOf(app), (app) => state.schemaOf(app)) as {
      localAction(next: (ctx: Context) => Promise<unknown>): (ctx: Context) => Promise<unknown>;
    };
    const handler = middleware.localAction(async (ctx) => (ctx.locals as { em: unknown }).em);
    const failure = await handler({ locals: {}, meta: { app: 'main' } } as unknown as Context).catch((err: unknown) => err);
    expect(mapError(failure)).toMatchObject({ status: 503, body: { errors: [{ code: 'CB_ERR_NODE_NOT_STARTED' }] } });
  });

  test('the services it gets when it starts are frozen', () => {
    const started = new NodeState(loadConfig({}));
    started.setServices(Object.freeze({ config: started.config, database: {}, secrets: {}, cluster: {} }) as never);
    expect(started.started).toBe(true);
    expect(Object.isFrozen(started.services())).toBe(true);
    started.setServices(null);
    expect(() => started.services()).toThrow(notStarted);
  });
});
