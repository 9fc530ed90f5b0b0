import type { EventEmitter } from 'node:events';

interface PooledClient extends EventEmitter {
  release: (error?: Error | boolean) => void;
}

/**
 * Gives a pool slot back when a checked-out connection dies (PostgreSQL restarted, the session was
 * terminated). Without it the slot leaks: Kysely releases a transaction's connection only after a
 * successful BEGIN, COMMIT or ROLLBACK, so a transaction whose connection died mid-way never returns
 * it, and after a few database restarts every slot is held by a dead connection and every query
 * waits forever (seen in the `pg-restart` fault profile). The dead client is destroyed (released with
 * an error); a later release of the same checkout is ignored instead of throwing.
 */
export function freeDeadConnections(pool: EventEmitter): void {
  pool.on('acquire', (client: PooledClient) => {
    // pg-pool assigns `client.release` right after emitting 'acquire', before handing the client out.
    process.nextTick(() => {
      const release = client.release;
      let released = false;
      const onEnd = () => client.release(new Error('the connection ended while checked out'));
      client.release = (error?: Error | boolean) => {
        if (released) return;
        released = true;
        client.removeListener('end', onEnd);
        release(error);
      };
      client.once('end', onEnd);
    });
  });
}
