import type { ServiceRole } from '../worker-mode/index.js';

/** A readiness check a node runs on every /readyz: resolves when usable, rejects with the reason. */
export type ReadinessCheck = () => Promise<void>;

/** The metadata every clusterbase service file declares, read by the loader and the health output. */
export interface ServiceMetadata {
  readonly role: ServiceRole;
  /** Loaded only on nodes with this APP_MODE (supervisor or worker); unset: on every APP_MODE. */
  readonly appMode?: 'supervisor' | 'worker';
}
