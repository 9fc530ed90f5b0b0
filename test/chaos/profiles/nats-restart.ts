import type { Profile } from '../types';

/** The transporter (NATS) killed -9 twice and restarted: discovery and every action call between nodes are cut. */
export const natsRestart: Profile = {
  name: 'nats-restart',
  summary: 'NATS killed -9 twice mid-load and restarted',
  async apply({ middleware, busy, log, sleep }) {
    for (let round = 1; round <= 2; round++) {
      await busy();
      log(`kill -9 nats (${round}/2)`);
      await middleware.nats.kill();
      await sleep(2000);
      await middleware.nats.start();
      log('nats is back');
      await sleep(5000);
    }
  },
};
