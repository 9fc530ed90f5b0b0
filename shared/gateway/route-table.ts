import type { RestDeclaration } from './types.js';

export interface Route {
  readonly actionName: string;
  readonly write: boolean;
}

export type Lookup =
  | { readonly found: true; readonly route: Route }
  | { readonly found: false; readonly reason: 'resource' | 'action' };

interface ActionListItem {
  readonly name: string;
  readonly available: boolean;
  readonly action?: { readonly rest?: RestDeclaration };
}

/**
 * `resource → action → route`, rebuilt from the service registry whenever services change on any
 * node, so a lookup on the hot path is two Map reads.
 */
export class RouteTable {
  private resources = new Map<string, Map<string, Route>>();

  rebuild(actions: readonly ActionListItem[]): void {
    const next = new Map<string, Map<string, Route>>();
    for (const item of actions) {
      const rest = item.action?.rest;
      if (!rest || typeof rest.resource !== 'string' || typeof rest.action !== 'string') continue;
      let byAction = next.get(rest.resource);
      if (!byAction) next.set(rest.resource, (byAction = new Map()));
      byAction.set(rest.action, { actionName: item.name, write: rest.write === true });
    }
    this.resources = next;
  }

  lookup(resource: string, action: string): Lookup {
    const byAction = this.resources.get(resource);
    if (!byAction) return { found: false, reason: 'resource' };
    const route = byAction.get(action);
    return route ? { found: true, route } : { found: false, reason: 'action' };
  }

  get size(): number {
    return this.resources.size;
  }
}
