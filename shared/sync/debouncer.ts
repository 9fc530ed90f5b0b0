interface Pending {
  readonly promise: Promise<void>;
}

/**
 * Coalesces identical sends: the first call for a key starts a window of `ms`; calls for the same key
 * inside it share the first one's promise; one send runs when the window ends (trailing edge, so the
 * signal goes out after the last change it covers). A call after the send starts a new window.
 */
export class Debouncer {
  private readonly pending = new Map<string, Pending & { readonly timer: NodeJS.Timeout; readonly fire: () => void }>();

  run(key: string, ms: number, send: () => Promise<void>): Promise<void> {
    const existing = this.pending.get(key);
    if (existing) return existing.promise;
    let fire!: () => void;
    const promise = new Promise<void>((resolve, reject) => {
      fire = () => {
        clearTimeout(timer);
        this.pending.delete(key);
        send().then(resolve, reject);
      };
    });
    const timer = setTimeout(fire, ms);
    this.pending.set(key, { promise, timer, fire });
    return promise;
  }

  /** Sends everything still waiting now (used on close, so no signal is dropped). */
  async flush(): Promise<void> {
    const waiting = [...this.pending.values()];
    for (const entry of waiting) entry.fire();
    await Promise.allSettled(waiting.map((entry) => entry.promise));
  }

  get size(): number {
    return this.pending.size;
  }
}
