/** Status of an app on one environment, as the issue names them. */
export type AppStatus = 'preparing' | 'initializing' | 'running' | 'stopped' | 'error' | 'not_found';

/**
 * Where an app's data lives: its own schema in the environment's database (the default), or that
 * schema in a database of its own (`name`) on the environment's PostgreSQL server.
 */
export type AppDatabase = { readonly kind: 'schema'; readonly schema: string } | { readonly kind: 'database'; readonly name: string; readonly schema: string };

/** One application as the supervisor keeps it (database row, Redis cache, REST answers). */
export interface AppRecord {
  readonly name: string;
  readonly displayName: string;
  readonly database: AppDatabase;
  /** The environments it runs on, in start order. */
  readonly environments: readonly string[];
  /** What the last start/stop asked for. */
  readonly desired: 'running' | 'stopped';
  readonly statuses: Readonly<Record<string, AppEnvironmentState>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AppEnvironmentState {
  readonly status: AppStatus;
  readonly error: string | null;
  /** When the last start on this environment began and reached `running` (ISO); proves sequencing. */
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** A supervised app's own root user as the supervisor keeps it: a scrypt hash, never the password. */
export interface AppRootUser {
  readonly email: string;
  readonly username: string;
  readonly passwordHash: string;
}

/** A worker environment, as its heartbeats describe it. */
export interface EnvironmentInfo {
  readonly name: string;
  readonly version: string;
  readonly url: string;
  readonly proxyUrl: string | null;
  /** Epoch ms of the last heartbeat. */
  readonly lastHeartbeat: number;
  /** The heartbeat interval the worker promised (ms), so availability needs no shared setting. */
  readonly heartbeatMs: number;
}

export interface EnvironmentView extends EnvironmentInfo {
  readonly available: boolean;
}

/** A command the supervisor sends to one environment. */
export interface Command {
  readonly id: string;
  readonly type: 'start' | 'stop' | 'destroy';
  readonly app: string;
  /** The app's configuration at send time (the worker needs no supervisor database). */
  readonly config: Pick<AppRecord, 'name' | 'displayName' | 'database' | 'environments'>;
  readonly dropData?: boolean;
  /** `start` only: the app's own root user, made at its first start (never INIT_ROOT_*). */
  readonly rootUser?: AppRootUser | null;
  /** Epoch ms after which an environment must not start executing it (the sender gave up waiting). */
  readonly ackBy: number;
}

export type CommandStatus = 'sent' | 'acknowledged' | 'succeeded' | 'failed' | 'timeout';

export interface CommandOutcome {
  readonly id: string;
  readonly status: Exclude<CommandStatus, 'sent' | 'acknowledged'>;
  readonly error: string | null;
  readonly acknowledgedAt: number | null;
  readonly finishedAt: number;
}

/** Runs a command on the receiving environment; a throw is recorded as `failed` with its message. */
export type CommandHandler = (command: Command) => Promise<void>;

/**
 * Port: commands from the supervisor to environments, each with a request id, an acknowledgement
 * (within `ackTimeoutMs`, else `timeout` and the command is dropped unexecuted) and an outcome
 * (within `timeoutMs` after the ack, else `timeout`).
 */
export interface CommandBus {
  send(environment: string, command: Command, opts: { ackTimeoutMs: number; timeoutMs: number; onAck?: () => void }): Promise<CommandOutcome>;
  /** Executes commands for `environment` until the returned stop function is called. */
  serve(environment: string, handler: CommandHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Port: the app and environment configuration every node of the multi-app cluster reads (the
 * supervisor writes apps; workers write their heartbeats).
 */
export interface RegistryCache {
  putApp(app: AppRecord): Promise<void>;
  deleteApp(name: string): Promise<void>;
  apps(): Promise<AppRecord[]>;
  app(name: string): Promise<AppRecord | null>;
  putEnvironment(env: EnvironmentInfo): Promise<void>;
  environments(): Promise<EnvironmentInfo[]>;
  close(): Promise<void>;
}
