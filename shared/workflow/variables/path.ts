/**
 * Reads a dotted path (`a.b.0.c`, also `a[0].c`) from a value, like lodash `get` but only through own
 * properties: a template can never reach `constructor`, `__proto__` or anything inherited. A path that
 * leaves the data yields undefined.
 *
 * `spreadArrays` (used for expressions, as NocoBase's evaluators do with `appendArrayColumn`): a
 * non-index segment applied to an array maps over its items, so `items.price` is the list of prices.
 */
export function splitPath(path: string): string[] {
  return path
    .replace(/\[(\w+)\]/g, '.$1')
    .split('.')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export function getPath(source: unknown, path: string, spreadArrays = false): unknown {
  return walk(source, splitPath(path), spreadArrays);
}

function walk(current: unknown, parts: readonly string[], spreadArrays: boolean): unknown {
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i] as string;
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current) && spreadArrays && !/^\d+$/.test(part)) {
      const rest = parts.slice(i);
      return current.map((item) => walk(item, rest, spreadArrays));
    }
    if (typeof current !== 'object' && typeof current !== 'function') return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
