import { declaredDependencies, filesMatching, findCycle, folders, importGraph, LAYERS, layerViolations, RUNTIME_IMPORTS, rootDependencies } from '../../scripts/project-graph';

describe('the structure of shared/', () => {
  const graph = importGraph();

  test('has no import cycle between folders', () => {
    expect(findCycle(graph)).toBeNull();
  });

  test.each(folders())('shared/%s declares to Nx exactly the folders it imports (`npx tsx scripts/project-graph.ts --write`)', (folder) => {
    expect(declaredDependencies(folder)).toEqual([...(graph.get(folder) ?? [])].sort());
  });

  test('the root project (services and cross-service tests) depends on every folder', () => {
    expect(rootDependencies()).toEqual(folders());
  });

  test('every folder has a layer in the table (scripts/project-graph.ts LAYERS)', () => {
    expect(folders().filter((f) => !LAYERS[f])).toEqual([]);
  });

  test('follows the layer table: runtime sees only the infrastructure it starts, apps the domain, nothing sees runtime', () => {
    expect(layerViolations(graph)).toEqual([]);
    for (const dep of graph.get('runtime') ?? []) expect(RUNTIME_IMPORTS).toContain(dep);
  });

  test('the layer check catches an import across layers', () => {
    const bad = new Map([
      ['runtime', new Set(['apps'])],
      ['data', new Set(['runtime'])],
      ['apps', new Set(['data'])],
    ]);
    expect(layerViolations(bad)).toEqual(['runtime (runtime) → apps (apps)', 'data (domain) → runtime (runtime)']);
  });

  test('only shared/runtime reaches a node through nodeState(), and only it and the transports touch a Moleculer Context', () => {
    expect(filesMatching(/\bnodeState\(/, ['runtime'])).toEqual([]);
    expect(filesMatching(/import[^;]*\bContext\b[^;]*from 'moleculer'/, ['runtime', 'gateway', 'sync/transporter-transport.ts'])).toEqual([]);
  });

  test('the cycle finder finds a cycle', () => {
    const cyclic = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
  });
});
