/**
 * Input the gateway refuses before any service sees it (each a 400, never a 500): NUL characters,
 * which PostgreSQL cannot store in text (22021), JSON nested deeper than MAX_JSON_DEPTH, which
 * recursive code downstream (filters, serialisers) would overflow on, and unsafe X-Request-Id values,
 * which end up in every log line.
 */

/** Deepest JSON nesting accepted in a body (NocoBase filters nest a few levels; 64 is generous). */
export const MAX_JSON_DEPTH = 64;

const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/** A client's X-Request-Id when it is safe to log (`[A-Za-z0-9-]{1,64}`), else undefined. */
export function acceptedRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : undefined;
}

/** True when a raw URL carries a NUL character (`%00` or a raw one). */
export function urlHasNul(url: string): boolean {
  return /%00/i.test(url) || url.includes('\u0000');
}

/** Why a parsed body is refused, or undefined. Iterative, so a deep value cannot overflow the check itself. */
export function bodyProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) return `is nested deeper than ${maxDepth} levels`;
    if (Array.isArray(current)) {
      for (const item of current) stack.push([item, depth + 1]);
    } else {
      for (const [key, item] of Object.entries(current)) {
        if (key.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
        stack.push([item, depth + 1]);
      }
    }
  }
  return undefined;
}
