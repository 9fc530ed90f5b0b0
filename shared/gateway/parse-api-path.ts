export interface ApiTarget {
  readonly resource: string;
  readonly action: string;
  readonly associatedIndex?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Parses the part of a URL after `/api/`: `<resource>:<action>` or
 * `<resource>/<index>/<association>:<action>` (→ resource `<resource>.<association>`).
 * Returns null when the path has neither shape.
 */
export function parseApiPath(path: string): ApiTarget | null {
  const colon = path.lastIndexOf(':');
  if (colon <= 0 || colon === path.length - 1) return null;
  const action = path.slice(colon + 1);
  const segments = path.slice(0, colon).split('/');
  if (!NAME.test(action)) return null;
  if (segments.length === 1 && NAME.test(segments[0]!)) return { resource: segments[0]!, action };
  if (segments.length === 3 && NAME.test(segments[0]!) && segments[1] !== '' && NAME.test(segments[2]!)) {
    return { resource: `${segments[0]}.${segments[2]}`, action, associatedIndex: decodeURIComponent(segments[1]!) };
  }
  return null;
}
