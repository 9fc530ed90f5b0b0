import { bearerToken } from '../shared/auth/index.js';
import { cbError } from '../shared/errors/index.js';
import { requestsService } from '../shared/runtime/index.js';
import { appsOf } from './support/apps.js';
import { restAction } from './support/rest-action.js';
import { roleRecords } from '../shared/users/index.js';

const signInParams = { values: { type: 'object', props: { account: 'string', password: 'string' } } } as const;

/**
 * Users' sign-in, check and sign-out (requests role), as NocoBase answers them: `auth:signIn` with
 * `X-Authenticator: basic` (the only authenticator here), tokens signed with APP_KEY, and a sign-out
 * every node honours at once (shared Bloom filter + table).
 */
const AuthApiService = requestsService({
  name: 'auth',

  async started() {
    // The main app's root user exists once the first requests node is up.
    await appsOf(this.broker).get('main');
  },

  actions: {
    signIn: restAction({ resource: 'auth', action: 'signIn', write: true, params: signInParams, access: 'public' }, async (app, caller, em, params) => {
      const authenticator = caller.request.authenticator ?? 'basic';
      if (authenticator !== 'basic') throw cbError('CB_ERR_VALIDATION', `Unknown authenticator "${authenticator.slice(0, 64)}" (only "basic" exists)`);
      const { user, token } = await app.auth.signIn(em, { account: params.values.account, password: params.values.password, ip: caller.request.ip });
      return { data: { user, token } };
    }),
    check: restAction({ resource: 'auth', action: 'check', write: false, access: 'signed-in' }, async (app, caller, em) => ({
      data: { ...caller.user, roles: await roleRecords(em, app.schema, caller.roles) },
    })),
    // Public: signing out a token that is already signed out succeeds (a retried request is harmless).
    signOut: restAction({ resource: 'auth', action: 'signOut', write: true, access: 'public' }, async (app, caller, em) => {
      await app.auth.signOut(em, bearerToken(caller.request.authorization));
      return { data: null };
    }),
  },
});

export = AuthApiService;
