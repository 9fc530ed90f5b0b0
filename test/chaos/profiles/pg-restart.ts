import type { Profile } from '../types';

/** PostgreSQL restarted twice with `-m immediate` (a crash: no checkpoint, every connection cut mid-transaction). */
export const pgRestart: Profile = {
  name: 'pg-restart',
  summary: 'PostgreSQL restarted twice mid-load (pg_ctlcluster restart -m immediate)',
  async apply({ middleware, busy, log, sleep }) {
    for (let round = 1; round <= 2; round++) {
      await busy();
      log(`restart postgres -m immediate (${round}/2)`);
      await middleware.postgres.restart();
      log('postgres is back');
      await sleep(5000);
    }
  },
};
