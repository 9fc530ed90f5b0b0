import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The dependency graph between shared/ folders, read from their relative imports. Nx (used without
 * plugins) learns it from each folder's `nx.implicitDependencies`; `--write` updates those, and the
 * structure test fails when they are out of date or when the graph has a cycle.
 */
const ROOT = join(__dirname, '..');
const SHARED = join(ROOT, 'shared');
const IMPORT = /(?:from|import|require\()\s*['"](\.\.?\/[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'test' || name === 'node_modules' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

export function folders(): string[] {
  return readdirSync(SHARED).filter((name) => statSync(join(SHARED, name)).isDirectory()).sort();
}

/** folder → the other shared folders its non-test code imports. */
export function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const folder of folders()) {
    const deps = new Set<string>();
    for (const file of sourceFiles(join(SHARED, folder))) {
      for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const target = relative(SHARED, join(file, '..', match[1]!)).split('/')[0]!;
        if (target !== folder && !target.startsWith('..')) deps.add(target);
      }
    }
    graph.set(folder, deps);
  }
  return graph;
}

/** A cycle between folders (e.g. ['a', 'b', 'a']), or null. */
export function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const dep of graph.get(node) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

export function declaredDependencies(folder: string): string[] {
  const pkg = JSON.parse(readFileSync(join(SHARED, folder, 'package.json'), 'utf8')) as { nx?: { implicitDependencies?: string[] } };
  return (pkg.nx?.implicitDependencies ?? []).map((d) => d.replace('@clusterbase/', '')).sort();
}

/** The root project (services/, test/) exercises every folder, so it depends on all of them. */
export function rootDependencies(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { nx?: { implicitDependencies?: string[] } };
  return (pkg.nx?.implicitDependencies ?? []).map((d) => d.replace('@clusterbase/', '')).sort();
}

function writeDependencies(graph: Map<string, Set<string>>): void {
  const rootFile = join(ROOT, 'package.json');
  const root = JSON.parse(readFileSync(rootFile, 'utf8')) as { nx?: Record<string, unknown> };
  root.nx = { ...root.nx, implicitDependencies: folders().map((d) => `@clusterbase/${d}`) };
  writeFileSync(rootFile, `${JSON.stringify(root, null, 2)}\n`);
  for (const [folder, deps] of graph) {
    const file = join(SHARED, folder, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { nx?: Record<string, unknown> };
    pkg.nx = { ...pkg.nx, implicitDependencies: [...deps].sort().map((d) => `@clusterbase/${d}`) };
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  }
}

/**
 * The layer of every shared/ folder and what each layer may import (docs/architecture.md, "Layers").
 * services/ (the composition root) may import anything; runtime is the node lifecycle and sees only
 * the infrastructure it starts; apps sees the domain; no shared/ folder sees runtime.
 */
export const LAYERS: Record<string, string> = {
  config: 'infrastructure', errors: 'infrastructure', 'worker-mode': 'infrastructure', db: 'infrastructure', secrets: 'infrastructure',
  ids: 'infrastructure', lock: 'infrastructure', queue: 'infrastructure', sync: 'infrastructure', cache: 'infrastructure',
  'worker-id': 'infrastructure', 'cluster-adapters': 'infrastructure', redis: 'infrastructure', sql: 'infrastructure',
  gateway: 'transport',
  auth: 'domain', query: 'domain', data: 'domain', 'data-api': 'domain', workflow: 'domain', tasks: 'domain', acl: 'domain', users: 'domain', files: 'domain',
  'cluster-console': 'domain',
  apps: 'apps',
  supervisor: 'hosting',
  runtime: 'runtime',
};

/** Layer → the layers its folders may import (its own included unless said otherwise). */
export const ALLOWED: Record<string, readonly string[]> = {
  infrastructure: ['infrastructure'],
  transport: ['infrastructure'],
  domain: ['domain', 'transport', 'infrastructure'],
  apps: ['domain', 'infrastructure'],
  hosting: ['apps', 'domain', 'transport', 'infrastructure'],
};

/** runtime imports exactly these folders and nothing else. */
export const RUNTIME_IMPORTS = ['cluster-adapters', 'config', 'db', 'errors', 'redis', 'secrets', 'worker-id', 'worker-mode'];

/**
 * Known breaks of the table, to remove: config validates WORKFLOW_REQUEST_ALLOW with the workflow's
 * request policy parser (move the parser into config, or the check into workflow); cluster-adapters
 * builds auth's SignInGuard (the node's one Redis-backed limiter; move its construction into apps).
 */
export const KNOWN_EXCEPTIONS = ['config → workflow', 'cluster-adapters → auth'];

/** Imports that break the layer table, as `from → to` strings. */
export function layerViolations(graph: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  for (const [folder, deps] of graph) {
    const layer = LAYERS[folder];
    for (const dep of deps) {
      const ok = layer === 'runtime' ? RUNTIME_IMPORTS.includes(dep) : !!layer && (ALLOWED[layer] ?? []).includes(LAYERS[dep] ?? '');
      if (!ok && !KNOWN_EXCEPTIONS.includes(`${folder} → ${dep}`)) out.push(`${folder} (${layer ?? 'no layer'}) → ${dep} (${LAYERS[dep] ?? 'no layer'})`);
    }
  }
  return out;
}

/** Non-test files of shared/ (outside `allowed` folders/files) whose text matches `pattern`. */
export function filesMatching(pattern: RegExp, allowed: readonly string[]): string[] {
  return folders().flatMap((folder) =>
    sourceFiles(join(SHARED, folder))
      .map((file) => relative(SHARED, file))
      .filter((file) => !allowed.some((a) => file === a || file.startsWith(`${a}/`)))
      .filter((file) => pattern.test(readFileSync(join(SHARED, file), 'utf8'))),
  );
}

if (require.main === module) {
  const graph = importGraph();
  if (process.argv.includes('--write')) writeDependencies(graph);
  for (const [folder, deps] of graph) console.log(`${folder} → ${[...deps].join(', ') || '(none)'}`);
  const cycle = findCycle(graph);
  if (cycle) {
    console.error(`import cycle: ${cycle.join(' → ')}`);
    process.exit(1);
  }
}
