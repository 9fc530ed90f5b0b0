import type { RestDeclaration } from './types.js';

/** The resource name of declarations that serve any resource (records of any collection). */
export const ANY = '*';
export const ANY_ASSOCIATION = '*.*';

export interface Route {
  readonly actionName: string;
  readonly write: boolean;
  /** Takes multipart uploads (see RestDeclaration.upload). */
  readonly upload?: boolean;
}

/** A route with what the OpenAPI document needs: its resource, action and parameter schema. */
export interface RouteEntry extends Route {
  readonly resource: string;
  readonly action: string;
  /** The action's fastest-validator `params` schema, if it declares one. */
  readonly params?: Record<string, unknown>;
}

export type Lookup =
  | { readonly found: true; readonly route: Route }
  | { readonly found: false; readonly reason: 'resource' | 'action' };

interface ActionListItem {
  readonly name: string;
  readonly available: boolean;
  readonly action?: { readonly rest?: RestDeclaration; readonly params?: Record<string, unknown> };
}

/**
 * `resource → action → route`, rebuilt from the service registry whenever services change on any
 * node, so a lookup on the hot path is two Map reads.
 */
export class RouteTable {
  private resources = new Map<string, Map<string, Route>>();
  private list: RouteEntry[] = [];
  /** Resources declared with `collection: true`. */
  private collections = new Set<string>();
  /** Bumped on every rebuild, so derived documents (OpenAPI) know when to regenerate. */
  version = 0;

  rebuild(actions: readonly ActionListItem[]): void {
    const next = new Map<string, Map<string, Route>>();
    const list: RouteEntry[] = [];
    const collections = new Set<string>();
    for (const item of actions) {
      const rest = item.action?.rest;
      if (!rest || typeof rest.resource !== 'string' || typeof rest.action !== 'string') continue;
      if (rest.collection === true) collections.add(rest.resource);
      let byAction = next.get(rest.resource);
      if (!byAction) next.set(rest.resource, (byAction = new Map()));
      const route = { actionName: item.name, write: rest.write === true, ...(rest.upload === true ? { upload: true } : {}) };
      byAction.set(rest.action, route);
      list.push({ ...route, resource: rest.resource, action: rest.action, params: item.action?.params });
    }
    this.resources = next;
    this.collections = collections;
    this.list = list.sort((a, b) => `${a.resource}:${a.action}`.localeCompare(`${b.resource}:${b.action}`));
    this.version++;
  }

  /**
   * The route for `resource:action`. A declaration with resource `*` serves every resource no other
   * declaration names (the records of user-defined collections), and the actions a resource declared
   * with `collection: true` does not declare itself; its action decides whether the resource exists.
   */
  lookup(resource: string, action: string): Lookup {
    // `*` serves every collection; `*.*` every association resource (`posts.tags`) not declared by name.
    const byAction = this.resources.get(resource) ?? this.resources.get(resource.includes('.') ? ANY_ASSOCIATION : ANY);
    if (!byAction) return { found: false, reason: 'resource' };
    // A resource declared by name that is also a collection (users, attachments): its other actions
    // are the records actions of `*`.
    const route = byAction.get(action) ?? (this.collections.has(resource) ? this.resources.get(ANY)?.get(action) : undefined);
    return route ? { found: true, route } : { found: false, reason: 'action' };
  }

  entries(): readonly RouteEntry[] {
    return this.list;
  }

  get size(): number {
    return this.resources.size;
  }
}
