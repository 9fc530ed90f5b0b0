/**
 * The deliveries one subscription is running. Graceful stops wait on it; forced stops abort every
 * delivery's signal and mark it abandoned, so a late outcome is ignored (the broker redelivers).
 */
export class InFlight {
  private readonly running = new Set<Delivery>();
  private waiters: Array<() => void> = [];

  get size(): number {
    return this.running.size;
  }

  start(): Delivery {
    const delivery = new Delivery(() => {
      this.running.delete(delivery);
      if (this.running.size === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      }
    });
    this.running.add(delivery);
    return delivery;
  }

  /** Resolves true when nothing runs any more, false when `timeoutMs` passed first. */
  drained(timeoutMs?: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== done);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  /** Abandons every running delivery: signals abort, outcomes are ignored from now on. */
  abandonAll(reason: string): Delivery[] {
    const all = [...this.running];
    for (const d of all) d.abandon(reason);
    return all;
  }
}

export class Delivery {
  private readonly controller = new AbortController();
  private abandonedFlag = false;
  private over = false;

  constructor(private readonly onFinish: () => void) {}

  private end(): void {
    if (this.over) return;
    this.over = true;
    this.onFinish();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get abandoned(): boolean {
    return this.abandonedFlag;
  }

  abandon(reason: string): void {
    if (this.abandonedFlag) return;
    this.abandonedFlag = true;
    this.controller.abort(new Error(reason));
    this.end();
  }

  /** The delivery is over (acked, failed over, dead-lettered). Safe to call after abandon. */
  finish(): void {
    this.end();
  }
}
