export type { RedisTarget, SentinelRedisTarget, StandaloneRedisTarget } from './types.js';
export { isRedisUrl, parseRedisUrl, redactRedisUrl, redisServerLabel, requireRedisUrl } from './redis-url.js';
export { createRedisClient, redisConnectOption, type CreateRedisClientOptions } from './redis-client.js';
export { LuaScript, luaScript } from './lua-script.js';
