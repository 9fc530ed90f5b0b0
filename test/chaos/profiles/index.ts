import type { Profile } from '../types';
import { natsCluster } from './nats-cluster';
import { natsRestart } from './nats-restart';
import { nodeKill } from './node-kill';
import { pgRestart } from './pg-restart';
import { rabbitmqRestart } from './rabbitmq-restart';
import { redisRestart } from './redis-restart';
import { redisWipe } from './redis-wipe';
import { sentinelFailover } from './sentinel-failover';

/** Every profile by name; a new profile is one file in this folder plus one line here. `all` runs them in this order. */
export const PROFILES: readonly Profile[] = [redisRestart, redisWipe, natsRestart, pgRestart, rabbitmqRestart, nodeKill, sentinelFailover, natsCluster];
