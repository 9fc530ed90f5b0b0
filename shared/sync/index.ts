export type {
  SyncSignal,
  SyncAdapterKind,
  AfterCommitHost,
  PublishOptions,
  SignalMeta,
  SignalHandler,
  ResyncEvent,
  ResyncHandler,
  Unsubscribe,
  SyncLogger,
  SyncSignalOptions,
  LocalSyncOptions,
  TransporterSyncOptions,
  RedisSyncOptions,
  Envelope,
  SyncTransport,
  TransportSink,
} from './types.js';
export { resolveSyncSignal } from './resolve-sync-signal.js';
export { LocalHub, LocalTransport, defaultLocalHub } from './local-transport.js';
export { TransporterTransport } from './transporter-transport.js';
export { RedisStreamTransport } from './redis-stream-transport.js';
export { SyncNode } from './sync-node.js';
export { SyncSignalView } from './sync-signal-view.js';
export { Debouncer } from './debouncer.js';
