import { Transporters } from 'moleculer';

interface NatsStatus {
  readonly type: string;
  readonly data: unknown;
}

interface NatsClient {
  status(): AsyncIterable<NatsStatus>;
}

/**
 * Moleculer's NATS transporter, told when the client moves to another server. With a NATS cluster
 * (TRANSPORTER=nats://a,nats://b,nats://c) the client reconnects by itself when its server dies, but
 * Moleculer's transporter never learns it: the node would not announce itself again and the sync
 * signal would not know that broadcasts sent during the switch may have missed it. On every
 * `reconnect` this calls `onConnected(true)` like the other transporters do after a reconnect: the
 * node sends its INFO, asks for the others', and `$transporter.connected {wasReconnect: true}` makes
 * the sync signal resync what it listens to.
 */
export class ClusterNatsTransporter extends Transporters.NATS {
  override connect(): Promise<void> {
    return super.connect().then(() => {
      const client = (this as unknown as { client: NatsClient | null }).client;
      if (client) void this.followReconnects(client);
    });
  }

  private async followReconnects(client: NatsClient): Promise<void> {
    for await (const status of client.status()) {
      if (status.type !== 'reconnect') continue;
      this.logger.info(`NATS client reconnected to ${String(status.data)}; announcing this node again.`);
      await Promise.resolve(this.onConnected(true)).catch((err: unknown) => this.logger.warn('Announcing after a NATS reconnect failed:', err));
    }
  }
}
