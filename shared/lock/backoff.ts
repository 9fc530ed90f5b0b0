/** The rejection value of an aborted signal (its reason, or a standard AbortError when it has none). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Sleeps `ms`, or rejects with the reason of the first of `signals` to abort. */
export function sleep(ms: number, ...signals: (AbortSignal | undefined)[]): Promise<void> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  const aborted = live.find((s) => s.aborted);
  if (aborted) return Promise.reject(abortReason(aborted));
  return new Promise((resolve, reject) => {
    const onAbort = (event: Event): void => {
      clearTimeout(timer);
      cleanup();
      reject(abortReason(event.target as AbortSignal));
    };
    const cleanup = (): void => live.forEach((s) => s.removeEventListener('abort', onAbort));
    const timer = setTimeout(() => {
      cleanup();
      resolve();
    }, ms);
    live.forEach((s) => s.addEventListener('abort', onAbort, { once: true }));
  });
}

/**
 * Delay before retry number `attempt` (0-based): exponential from `minMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so contenders spread out but none starves on a tiny delay.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
