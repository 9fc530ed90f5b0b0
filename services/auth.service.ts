import type { Context } from 'moleculer';
import { bearerToken } from '../shared/auth/index.js';
import { cbError } from '../shared/errors/index.js';
import { restAction, type RestMeta } from '../shared/gateway/index.js';
import { appAuth, nodeState, requestsService } from '../shared/runtime/index.js';
import { roleRecords } from '../shared/users/index.js';

type Ctx = Context<{ values?: { account?: unknown; password?: unknown } }, Partial<RestMeta>>;

/**
 * Users' sign-in, check and sign-out (requests role), as NocoBase answers them: `auth:signIn` with
 * `X-Authenticator: basic` (the only authenticator here), tokens signed with APP_KEY, and a sign-out
 * every node honours at once (shared Bloom filter + table).
 */
const AuthApiService = requestsService({
  name: 'auth',

  async started() {
    // The main app's root user exists once the first requests node is up.
    await appAuth(nodeState(this.broker), 'main', this.logger);
  },

  actions: {
    signIn: restAction(
      { resource: 'auth', action: 'signIn', write: true },
      {
        params: { values: { type: 'object', props: { account: 'string', password: 'string' } } },
        async handler(this: { broker: Ctx['broker']; logger: Parameters<typeof appAuth>[2] }, ctx: Ctx) {
          const authenticator = ctx.meta.authenticator ?? 'basic';
          if (authenticator !== 'basic') throw cbError('CB_ERR_VALIDATION', `Unknown authenticator "${authenticator.slice(0, 64)}" (only "basic" exists)`);
          const auth = await appAuth(nodeState(ctx.broker), ctx.meta.app ?? 'main', this.logger);
          const { user, token } = await auth.signIn(ctx.locals.em, { account: ctx.params.values?.account, password: ctx.params.values?.password, ip: ctx.meta.ip });
          return { data: { user, token } };
        },
      },
    ),
    check: restAction(
      { resource: 'auth', action: 'check', write: false },
      {
        async handler(this: { logger: Parameters<typeof appAuth>[2] }, ctx: Ctx) {
          const auth = await appAuth(nodeState(ctx.broker), ctx.meta.app ?? 'main', this.logger);
          const { user, roles } = await auth.check(ctx.locals.em, bearerToken(ctx.meta.authorization));
          const state = nodeState(ctx.broker);
          return { data: { ...user, roles: await roleRecords(ctx.locals.em, state.schemaOf(ctx.meta.app ?? 'main'), roles) } };
        },
      },
    ),
    signOut: restAction(
      { resource: 'auth', action: 'signOut', write: true },
      {
        async handler(this: { logger: Parameters<typeof appAuth>[2] }, ctx: Ctx) {
          const auth = await appAuth(nodeState(ctx.broker), ctx.meta.app ?? 'main', this.logger);
          await auth.signOut(ctx.locals.em, bearerToken(ctx.meta.authorization));
          return { data: null };
        },
      },
    ),
  },
});

export = AuthApiService;
