import { EventEmitter } from 'node:events';
import { freeDeadConnections } from '../../free-dead-connections.js';

/** A pg-pool stand-in: on checkout it emits 'acquire', then gives the client a release that may be called once. */
function checkout(pool: EventEmitter) {
  const client = Object.assign(new EventEmitter(), { release: (() => undefined) as (error?: Error | boolean) => void });
  const releases: Array<Error | boolean | undefined> = [];
  pool.emit('acquire', client);
  client.release = (error) => {
    if (releases.length > 0) throw new Error('Release called on client which has already been released to the pool.');
    releases.push(error);
  };
  return { client, releases };
}

const tick = () => new Promise((r) => process.nextTick(r));

describe('freeDeadConnections', () => {
  it('destroys a checked-out connection that ends, freeing its slot, and ignores the holder\'s later release', async () => {
    const pool = new EventEmitter();
    freeDeadConnections(pool);
    const { client, releases } = checkout(pool);
    await tick();
    client.emit('end');
    expect(releases).toHaveLength(1);
    expect(releases[0]).toBeInstanceOf(Error);
    expect(() => client.release()).not.toThrow();
    expect(releases).toHaveLength(1);
  });

  it('leaves a normal checkout alone: one release, and a later end of the idle client does nothing', async () => {
    const pool = new EventEmitter();
    freeDeadConnections(pool);
    const { client, releases } = checkout(pool);
    await tick();
    client.release();
    client.emit('end');
    expect(releases).toEqual([undefined]);
    expect(client.listenerCount('end')).toBe(0);
  });
});
