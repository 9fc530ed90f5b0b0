/** A value read from outside (an API answer, a parsed manifest): tests look into whatever shape it has and assert on it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one place tests type what they read loosely
export type Json = any;

/** What clusterbase answers: NocoBase's envelope. */
export type Body = { data?: Json; meta?: Json; errors?: Array<{ message: string; code?: string }> };

export interface Answer {
  readonly status: number;
  readonly body: Body;
}

/**
 * JSON requests to a node: `call(method, path, body?, token?)`. Without a `token` argument the
 * default token (if any) is sent; pass '' to send none. An empty answer body reads as `{}`.
 */
export function jsonCaller(origin: () => string, defaultToken: () => string | undefined) {
  return async (method: string, path: string, body?: unknown, token: string | undefined = defaultToken()): Promise<Answer> => {
    const res = await fetch(`${origin()}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Body) : {} };
  };
}

/**
 * Polls `check` every 50 ms until it gives a value (work that finishes after a response, e.g. on a queue).
 * With `bound`, gives up after `timeoutMs` naming what it waited for (a test that fails, not one that hangs
 * until Jest's timeout and leaves the loop running behind it).
 */
export async function until<T>(check: () => Promise<T | undefined | null | false>, bound?: { timeoutMs: number; what: string }): Promise<T> {
  const deadline = bound ? Date.now() + bound.timeoutMs : Infinity;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${bound!.timeoutMs} ms waiting for ${bound!.what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
