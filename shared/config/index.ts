export type { Env, VarSpec } from './types.js';
export { variables, type VariableName, type Values } from './variables.js';
export { readEnv } from './read-env.js';
export { loadConfig, inProcessAdapters, type Config, type DatabaseConfig, type AdaptersConfig, type AppsConfig } from './config.js';
export { configurationTable } from './describe.js';
