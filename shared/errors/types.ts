/** One entry of the error catalogue: what a client sees and whether a retry can help. */
export interface ErrorSpec {
  /** HTTP status the gateway answers with. */
  readonly status: number;
  /** True when the same request may succeed later unchanged (a node restarting, a lock busy). */
  readonly retryable: boolean;
  /** Default message, used when the thrower gives none. */
  readonly message: string;
}
