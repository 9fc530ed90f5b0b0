/** The requests role: HTTP gateway plus the services behind it (api, data, auth, workflow-api, async-task-api). */
export const REQUESTS = '!';

/** A parsed WORKER_MODE: which roles a broker node takes on. */
export interface WorkerMode {
  /** The value as configured, for logs and health output. */
  readonly raw: string;
  /** Serves HTTP requests (the `!` role). */
  readonly requests: boolean;
  /** Every processor (`*` or the empty default), or exactly the listed keys. */
  readonly processors: 'all' | readonly string[];
}

/** How a service file declares its place in the WORKER_MODE table. */
export type ServiceRole =
  | { readonly kind: 'requests' }
  | { readonly kind: 'processor'; readonly key: string }
  | { readonly kind: 'every-node' };
