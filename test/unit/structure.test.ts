import { declaredDependencies, findCycle, folders, importGraph, rootDependencies } from '../../scripts/project-graph';

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

  test('the cycle finder finds a cycle', () => {
    const cyclic = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
  });
});
