/**
 * Where a component reports what it did or recovered from: the one logger shape of clusterbase. A
 * Moleculer logger (`broker.getLogger(…)`) fits; tests pass a silent or recording one. A component
 * that writes fewer levels takes `Pick<Logger, 'warn' | 'error'>`, so callers may pass less.
 */
export interface Logger {
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
}
