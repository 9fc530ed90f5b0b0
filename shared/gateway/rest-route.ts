import type { RestDeclaration } from './types.js';

/**
 * Offers a Moleculer action on the REST API: `restRoute({ resource: 'app', action: 'getInfo', write: false }, { handler })`.
 * The declaration travels with the action through the registry to every gateway node. Application
 * actions use the wrapper in services/support/rest-action.ts, which also checks the caller.
 */
export function restRoute<T extends object>(rest: RestDeclaration, schema: T): T {
  return Object.assign({}, schema, { rest });
}
