import { startNatsCluster, type NatsCluster } from '../middleware/nats-cluster';
import type { Profile } from '../types';

/**
 * TRANSPORTER lists a three-server NATS cluster; one server after the other is killed -9 by its PID
 * while writes and executions flow (each node is on one of them, so every node loses its server at
 * least once over the run unless it already moved), and each is started again before the next.
 */
export const natsCluster: Profile = {
  name: 'nats-cluster',
  summary: 'three-server NATS cluster: each server killed -9 in turn mid-load and started again; nodes move to the others',
  middleware: { nats: () => startNatsCluster() },
  async apply({ middleware, busy, log, sleep }) {
    const nats = middleware.nats as NatsCluster;
    for (const port of nats.ports) {
      await busy();
      log(`kill -9 nats-server :${port}`);
      await nats.killServer(port);
      await sleep(3000);
      await nats.startServer(port);
      log(`nats-server :${port} is back`);
      await sleep(2000);
    }
  },
};
