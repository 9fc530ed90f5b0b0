import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'moleculer';
import { appsOf } from './apps.js';

/**
 * The EntityManager of one action call: forked on first use, bound to the calling app's schema (in the
 * app's own database when it has one), and never shared with another call (identity maps and
 * transactions stay per call).
 */
export function callEntityManager(ctx: Context): EntityManager {
  const locals = ctx.locals as { em?: EntityManager };
  if (!locals.em) {
    const app = (ctx.meta as { app?: string }).app;
    const apps = appsOf(ctx.broker);
    locals.em = apps.databaseOf(app).fork(apps.schemaOf(app));
  }
  return locals.em;
}
