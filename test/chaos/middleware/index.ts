export { startNats } from './nats-server';
export { startPostgres } from './postgres-cluster';
export { startRabbitmq } from './rabbitmq-node';
export { startRedis, type RedisOptions } from './redis-server';
export { listening, ServerProcess, waitForPort } from './server-process';
export type { Middleware } from './types';
