import { randomUUID } from 'node:crypto';

/**
 * Steady traffic for cluster tests: each stream runs until stopped and reports what it saw. A new kind
 * of traffic (workflow executions, issue 5) is one more LoadStream in the same run.
 */
export interface LoadStream<R = unknown> {
  readonly name: string;
  /** Stops sending and resolves once every request in flight has its final answer. */
  stop(): Promise<R>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface GetReport {
  readonly ok: number;
  readonly failures: string[];
}

/** `workers` loops of GET `<path>` through nginx; anything but a 200 (a network error included) is a failure. */
export function steadyGets(base: string, path: string, token: string, workers = 3): LoadStream<GetReport> {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loop = async () => {
    while (running) {
      try {
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        if (res.status === 200) ok++;
        else failures.push(`${res.status} ${text.slice(0, 200)}`);
      } catch (err) {
        failures.push(`network: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
      }
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    name: `GET ${path}`,
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failures };
    },
  };
}

export interface PostReport {
  /** The unique `ref` of every create that got its 200 (each must exist exactly once). */
  readonly acknowledged: string[];
  /** Creates that never got a 200 (must be none). */
  readonly failures: string[];
  /** Attempts answered by no answer or a 502/503/504 and sent again with the same Idempotency-Key. */
  readonly retries: number;
}

/**
 * `workers` loops of POST `<collection>:create` with a fresh `ref` and Idempotency-Key each. A client
 * as the architecture asks for: when no answer or a 502/503/504 arrives, the same request is sent
 * again with the same key, until a definite answer.
 */
export function idempotentCreates(base: string, collection: string, token: string, workers = 2): LoadStream<PostReport> {
  let running = true;
  let retries = 0;
  const acknowledged: string[] = [];
  const failures: string[] = [];
  const createOnce = async (ref: string) => {
    const key = randomUUID();
    for (let attempt = 1; attempt <= 200; attempt++) {
      try {
        const res = await fetch(`${base}/api/${collection}:create`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ ref }),
        });
        const text = await res.text();
        if (res.status === 200) return acknowledged.push(ref);
        if (![502, 503, 504].includes(res.status)) return failures.push(`${ref}: ${res.status} ${text.slice(0, 200)}`);
      } catch {
        // no answer: the write may or may not have happened; the key makes the retry safe
      }
      retries++;
      await sleep(50);
    }
    return failures.push(`${ref}: no definite answer after 200 attempts`);
  };
  const loop = async (worker: number) => {
    for (let i = 0; running; i++) await createOnce(`w${worker}-${i}-${randomUUID().slice(0, 8)}`);
  };
  const loops = Array.from({ length: workers }, (_, w) => loop(w));
  return {
    name: `POST ${collection}:create`,
    async stop() {
      running = false;
      await Promise.all(loops);
      return { acknowledged, failures, retries };
    },
  };
}
