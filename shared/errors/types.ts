/** One entry of the error catalogue: what a client sees and whether a retry can help. */
export interface ErrorSpec {
  /** HTTP status the gateway answers with. */
  readonly status: number;
  /** True when the same request may succeed later unchanged (a node restarting, a lock busy). */
  readonly retryable: boolean;
  /** Default message, used when the thrower gives none. */
  readonly message: string;
}
/** Where outage lines go: the node's logger (warn when a dependency goes away, info when it is back). */
export interface OutageLogger {
  warn(message: string): void;
  info(message: string): void;
}

/** Something with connection events: an ioredis client, an amqplib connection, a pg pool. */
export interface ConnectionEvents {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}
