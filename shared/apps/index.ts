export type { AppNode, AppLog, AppGuard, AppsListener } from './types.js';
export { AppContext, type AppOpenOptions } from './app-context.js';
export { AppRegistry } from './app-registry.js';
