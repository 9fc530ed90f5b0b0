import { topicKey } from './names.js';
import type { Envelope, SyncTransport, TransportSink } from './types.js';

/** The in-process "network": every LocalTransport on a hub receives what the others send. */
export class LocalHub {
  private readonly members = new Set<LocalTransport>();

  join(member: LocalTransport): void {
    this.members.add(member);
  }

  leave(member: LocalTransport): void {
    this.members.delete(member);
  }

  /**
   * Hands the envelope to every listening member on a later turn of the event loop, as a network
   * would, after a JSON round trip so a message behaves here as it does on the wire.
   */
  broadcast(envelope: Envelope): void {
    const wire = JSON.stringify(envelope);
    for (const member of this.members) member.receive(wire, envelope);
  }
}

const processHub = new LocalHub();

/** The hub shared by every local SyncSignal of this process that is not given its own. */
export function defaultLocalHub(): LocalHub {
  return processHub;
}

/**
 * In-process adapter (single-process mode, alias `memory`). Per member, signals are delivered in the
 * order they were sent, one at a time.
 */
export class LocalTransport implements SyncTransport {
  readonly kind = 'local' as const;
  private sink: TransportSink | undefined;
  private readonly topics = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly hub: LocalHub = processHub) {}

  async connect(sink: TransportSink): Promise<void> {
    this.sink = sink;
    this.hub.join(this);
  }

  async close(): Promise<void> {
    this.hub.leave(this);
    this.topics.clear();
    await this.queue;
    this.sink = undefined;
  }

  async send(envelope: Envelope): Promise<void> {
    this.hub.broadcast(envelope);
  }

  async listen(app: string, channel: string): Promise<void> {
    this.topics.add(topicKey(app, channel));
  }

  async unlisten(app: string, channel: string): Promise<void> {
    this.topics.delete(topicKey(app, channel));
  }

  /** Called by the hub. */
  receive(wire: string, envelope: Envelope): void {
    if (!this.topics.has(topicKey(envelope.app, envelope.channel))) return;
    this.queue = this.queue
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.sink?.deliver(JSON.parse(wire) as Envelope))
      .catch((err: unknown) => this.sink?.warn('sync delivery failed', err));
  }
}
