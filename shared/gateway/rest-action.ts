import type { RestDeclaration } from './types.js';

/**
 * Offers an action on the REST API: `restAction({ resource: 'app', action: 'getInfo', write: false }, { handler })`.
 * The declaration travels with the action through the registry to every gateway node.
 */
export function restAction<T extends object>(rest: RestDeclaration, schema: T): T {
  return Object.assign({}, schema, { rest });
}
