export interface ApiTarget {
  readonly resource: string;
  readonly action: string;
  readonly associatedIndex?: string;
  /** Set by REST-style paths (`/api/products/1`): the record's key, as `?filterByTk=` would give it. */
  readonly filterByTk?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The action a REST-style path means, by method and by whether it names one record. */
const REST_ACTIONS: Record<string, { collection?: string; record?: string }> = {
  GET: { collection: 'list', record: 'get' },
  POST: { collection: 'create' },
  PUT: { record: 'update' },
  PATCH: { record: 'update' },
  DELETE: { record: 'destroy' },
};

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * Parses the part of a URL after `/api/`, as NocoBase routes it:
 * - `<resource>:<action>` and `<resource>/<index>/<association>:<action>` (→ resource `<resource>.<association>`);
 * - REST style: `GET|POST <resource>`, `GET|PUT|PATCH|DELETE <resource>/<key>`, and the same under
 *   `<resource>/<index>/<association>` (list, get, create, update, destroy).
 * Returns null when the path has none of these shapes.
 */
export function parseApiPath(path: string, method = 'GET'): ApiTarget | null {
  const colon = path.lastIndexOf(':');
  if (colon > 0) {
    if (colon === path.length - 1) return null;
    const action = path.slice(colon + 1);
    const segments = path.slice(0, colon).split('/');
    if (!NAME.test(action)) return null;
    if (segments.length === 1 && NAME.test(segments[0]!)) return { resource: segments[0]!, action };
    if (segments.length === 3 && NAME.test(segments[0]!) && segments[1] !== '' && NAME.test(segments[2]!)) {
      const associatedIndex = decode(segments[1]!);
      return associatedIndex === null ? null : { resource: `${segments[0]}.${segments[2]}`, action, associatedIndex };
    }
    return null;
  }

  const segments = path.replace(/\/$/, '').split('/');
  const rest = REST_ACTIONS[method];
  if (!rest || segments.some((s) => s === '')) return null;
  const [first, second, third, fourth] = segments;
  if (!NAME.test(first!)) return null;
  const keyed = (resource: string, key: string | undefined, associatedIndex?: string): ApiTarget | null => {
    if (key === undefined) return rest.collection ? { resource, action: rest.collection, associatedIndex } : null;
    const filterByTk = decode(key);
    if (filterByTk === null || !rest.record) return null;
    return { resource, action: rest.record, associatedIndex, filterByTk };
  };
  if (segments.length <= 2) return keyed(first!, second);
  if (segments.length <= 4 && NAME.test(third!)) {
    const associatedIndex = decode(second!);
    return associatedIndex === null ? null : keyed(`${first}.${third}`, fourth, associatedIndex);
  }
  return null;
}
