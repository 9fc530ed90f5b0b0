import type { Profile } from '../types';

/** With QUEUE_ADAPTER=rabbitmq: the RabbitMQ node killed -9 and restarted (quorum queues keep their messages). */
export const rabbitmqRestart: Profile = {
  name: 'rabbitmq-restart',
  summary: 'RabbitMQ (QUEUE_ADAPTER=rabbitmq) killed -9 twice mid-load and restarted',
  queue: 'rabbitmq',
  async apply({ middleware, busy, log, sleep }) {
    for (let round = 1; round <= 2; round++) {
      await busy();
      log(`kill -9 rabbitmq (${round}/2)`);
      await middleware.rabbitmq!.restart();
      log('rabbitmq is back');
      await sleep(5000);
    }
  },
};
