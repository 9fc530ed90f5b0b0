import type { Context, Middleware } from 'moleculer';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Database } from './types.js';

/** The schema an app's data lives in; the main app uses the configured DB_SCHEMA. */
export type SchemaOf = (app: string | undefined) => string;

/**
 * Gives every local action call its own EntityManager, forked lazily on first use of `ctx.locals.em`
 * and bound to the calling app's schema, so no two calls ever share identity maps or transactions.
 */
/** `getDatabase(app)`: the database holding that app's data (a sub-app may have its own); throws before the node starts. */
export function entityManagerMiddleware(getDatabase: (app: string | undefined) => Database, schemaOf: SchemaOf): Middleware {
  const middleware: Middleware = {
    name: 'EntityManagerPerCall',
    localAction(next: (ctx: Context) => Promise<unknown>) {
      return function (ctx: Context) {
        let em: EntityManager | undefined;
        Object.defineProperty(ctx.locals, 'em', {
          configurable: true,
          get() {
            const app = (ctx.meta as { app?: string }).app;
            em ??= getDatabase(app).fork(schemaOf(app));
            return em;
          },
        });
        return next(ctx);
      };
    },
  };
  return middleware;
}
