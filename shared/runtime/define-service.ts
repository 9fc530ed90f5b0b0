import type { ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { REQUESTS, type ServiceRole } from '../worker-mode/index.js';

type Schema<S, M, V> = ServiceSchema<S, M, V>;

function withRole<S, M, V>(role: ServiceRole, schema: Schema<S, M, V>): Schema<S, M, V> {
  return { ...schema, metadata: { ...(schema.metadata ?? {}), role } };
}

/**
 * Declares a service file's place in the WORKER_MODE table. `processorService('my-plugin:process', schema)`
 * is all a plugin needs for a new splittable service: `WORKER_MODE=my-plugin:process` then loads it.
 */
export function requestsService<S = ServiceSettingSchema, M = Record<string, never>, V = Record<string, never>>(schema: Schema<S, M, V>): Schema<S, M, V> {
  return withRole({ kind: 'requests' }, schema);
}

export function processorService<S = ServiceSettingSchema, M = Record<string, never>, V = Record<string, never>>(key: string, schema: Schema<S, M, V>): Schema<S, M, V> {
  return withRole({ kind: 'processor', key }, schema);
}

export function everyNodeService<S = ServiceSettingSchema, M = Record<string, never>, V = Record<string, never>>(schema: Schema<S, M, V>): Schema<S, M, V> {
  return withRole({ kind: 'every-node' }, schema);
}

/** Binds a service to an APP_MODE: `forAppMode('supervisor', requestsService({...}))` loads only on supervisors. */
export function forAppMode<T extends { metadata?: unknown }>(appMode: 'supervisor' | 'worker', schema: T): T {
  return { ...schema, metadata: { ...((schema.metadata as object | undefined) ?? {}), appMode } };
}

export { REQUESTS };
