/** How one environment variable is read: its name, aliases, default, parser and documentation. */
export interface VarSpec<T> {
  /** Accepted alternative names (older or issue names); the main name wins when both are set. */
  readonly aliases?: readonly string[];
  /** Used when the variable is unset or empty; documented as written here. */
  readonly default?: string;
  /** Default documented in words when it is computed (e.g. "hostname-pid"). */
  readonly defaultDoc?: string;
  /** Never echoed back in errors or logs. */
  readonly secret?: boolean;
  /** One sentence for docs/configuration.md. */
  readonly doc: string;
  /** Turns the raw text (undefined when unset and no default) into the value, or throws with the reason. */
  readonly parse: (raw: string | undefined) => T;
}

export type Env = Readonly<Record<string, string | undefined>>;
