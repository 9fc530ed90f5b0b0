/**
 * A piece of middleware the fault suite runs for itself on a free port (never the machine's shared
 * servers). Profiles use `kill()` / `start()` / `restart()` to apply faults.
 */
export interface Middleware {
  readonly name: string;
  /** The URL nodes connect with. */
  readonly url: string;
  readonly port: number;
  /** Starts it (again) on the same port and data directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** kill -9 (a crash); resolves once the process is gone. */
  kill(): Promise<void>;
  /** kill -9 then start: the restart a crash-looping container would do. */
  restart(): Promise<void>;
  /** Stops it for good and removes what it created. */
  destroy(): Promise<void>;
}
