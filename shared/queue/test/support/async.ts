export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls until `probe` returns something truthy. The cap only turns a hang into a readable failure;
 * no test asserts on how long anything takes.
 */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export async function waitFor<T>(what: string, probe: () => T | Promise<T>, capMs = 30_000): Promise<Truthy<T>> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value as Truthy<T>;
    if (Date.now() - started > capMs) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves when the signal aborts (never, if it does not). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
