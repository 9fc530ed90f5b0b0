import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ServiceSchema } from 'moleculer';
import { StartupRefusal } from '../errors/index.js';
import { selects, unknownKeys, type ServiceRole, type WorkerMode } from '../worker-mode/index.js';
import type { ServiceMetadata } from './types.js';

export interface ServiceEntry {
  /** File name, e.g. `workflow.service.ts`. */
  readonly file: string;
  readonly path: string;
  readonly schema: ServiceSchema;
  readonly role: ServiceRole;
  /** The APP_MODE the service needs (supervisor or worker), if any. */
  readonly appMode?: 'supervisor' | 'worker';
}

/** The folder holding the service files next to this code: services/ in the source tree, dist/services when compiled. */
export const SERVICES_DIR = join(__dirname, '..', '..', 'services');
const EXTENSION = __filename.endsWith('.ts') ? '.service.ts' : '.service.js';

function schemaOf(mod: unknown): ServiceSchema {
  const m = mod as { default?: ServiceSchema } & ServiceSchema;
  return m.default ?? m;
}

/**
 * Loads every service file and reads the role it declares in `metadata.role`. A file without a role
 * is refused: the WORKER_MODE table could not place it.
 */
export function discoverServices(dir: string = SERVICES_DIR): ServiceEntry[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(EXTENSION) && !f.endsWith('.d.ts'))
    .sort();
  return files.map((file) => {
    const path = join(dir, file);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- service files are found by name at start, as moleculer-runner loads them
    const schema = schemaOf(require(path));
    const metadata = schema.metadata as ServiceMetadata | undefined;
    const role = metadata?.role;
    if (!role) {
      throw new StartupRefusal('CB_ERR_CONFIG_INVALID', [`services/${file}: declares no metadata.role (requests, processor or every-node)`]);
    }
    return { file, path, schema, role, appMode: metadata.appMode };
  });
}

export function declaredKeys(entries: readonly ServiceEntry[]): string[] {
  return entries.flatMap((e) => (e.role.kind === 'processor' ? [e.role.key] : []));
}

/**
 * The services a node with `mode` loads. Refuses a WORKER_MODE naming a processor key that no
 * service declares, listing the keys that exist.
 */
export function selectServices(entries: readonly ServiceEntry[], mode: WorkerMode, appMode: string = 'standalone'): ServiceEntry[] {
  const known = declaredKeys(entries);
  const unknown = unknownKeys(mode, known);
  if (unknown.length > 0) {
    throw new StartupRefusal('CB_ERR_CONFIG_WORKER_MODE', [
      `WORKER_MODE: unknown processor key "${unknown[0]}" (no service declares it; known keys: ${known.join(', ') || 'none'})`,
    ]);
  }
  return entries.filter((e) => selects(mode, e.role) && appModeAllows(e.appMode, appMode));
}

/** A service bound to an APP_MODE (supervisor, worker) loads only there; others load on every APP_MODE. */
export function appModeAllows(needed: string | undefined, appMode: string): boolean {
  return needed === undefined || needed === appMode;
}

export function describeRole(role: ServiceRole): string {
  return role.kind === 'processor' ? `processor ${role.key}` : role.kind;
}

export function serviceFileName(path: string): string {
  return basename(path);
}
