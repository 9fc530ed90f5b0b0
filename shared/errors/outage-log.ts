import type { OutageLogger } from './types.js';

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);

/**
 * Logs an outage of one dependency once when it starts and once when it ends, naming the dependency
 * and the node, however many retries and errors happen in between:
 * `redis 127.0.0.1:6379 unreachable from node-1: connect ECONNREFUSED …` …
 * `redis 127.0.0.1:6379 reachable again from node-1 after 4.2 s`.
 */
export class OutageLog {
  private downSince: number | null = null;

  constructor(
    readonly dependency: string,
    private readonly node: string,
    private readonly log: OutageLogger,
  ) {}

  get down(): boolean {
    return this.downSince !== null;
  }

  /** A failure: logged if it starts an outage, silent while one is going on. */
  failed(error: unknown): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.log.warn(`${this.dependency} unreachable from ${this.node}: ${reasonOf(error)} (logged once; its end is logged too)`);
  }

  /** A success: logged if it ends an outage. */
  ok(): void {
    if (this.downSince === null) return;
    const seconds = ((Date.now() - this.downSince) / 1000).toFixed(1);
    this.downSince = null;
    this.log.info(`${this.dependency} reachable again from ${this.node} after ${seconds} s`);
  }
}
