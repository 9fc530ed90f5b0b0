import { checkAppName } from './names.js';
import type { SyncNode } from './sync-node.js';
import type { PublishOptions, ResyncHandler, SignalHandler, SyncSignal, Unsubscribe } from './types.js';

/**
 * The SyncSignal of one app on a node. The root view (from resolveSyncSignal) owns the node and
 * closes it; views from forApp share it and on close only drop their own handlers.
 */
export class SyncSignalView implements SyncSignal {
  private readonly unsubscribers = new Set<Unsubscribe>();
  private readonly resyncRemovers = new Set<() => void>();

  constructor(
    private readonly node: SyncNode,
    readonly app: string,
    private readonly owner: boolean,
  ) {}

  get kind() {
    return this.node.transport.kind;
  }

  get nodeId(): string {
    return this.node.nodeId;
  }

  publish<T = unknown>(channel: string, message: T, options?: PublishOptions): Promise<void> {
    return this.node.publish(this.app, channel, message, options);
  }

  async subscribe<T = unknown>(channel: string, handler: SignalHandler<T>): Promise<Unsubscribe> {
    const unsubscribe = await this.node.subscribe(this.app, channel, handler as SignalHandler<unknown>);
    const tracked: Unsubscribe = async () => {
      this.unsubscribers.delete(tracked);
      await unsubscribe();
    };
    this.unsubscribers.add(tracked);
    return tracked;
  }

  onResync(handler: ResyncHandler): () => void {
    const remove = this.node.onResync(this.app, handler);
    const tracked = () => {
      this.resyncRemovers.delete(tracked);
      remove();
    };
    this.resyncRemovers.add(tracked);
    return tracked;
  }

  forApp(app: string): SyncSignal {
    return new SyncSignalView(this.node, checkAppName(app), false);
  }

  connect(): Promise<void> {
    return this.node.connect();
  }

  async close(): Promise<void> {
    if (this.owner) {
      await this.node.close();
      return;
    }
    for (const remove of [...this.resyncRemovers]) remove();
    await Promise.all([...this.unsubscribers].map((unsubscribe) => unsubscribe()));
  }
}
