import type { Unreachable } from './types.js';

export interface FanOut<T> {
  readonly answers: ReadonlyArray<{ readonly nodeId: string; readonly value: T }>;
  readonly unreachable: readonly Unreachable[];
}

/**
 * Asks every node at once, each bounded by `timeoutMs`: a node that does not answer in time, or
 * answers with an error, is listed as unreachable instead of failing or delaying the whole answer.
 */
export async function askEach<T>(nodeIds: readonly string[], ask: (nodeId: string) => Promise<T>, timeoutMs: number): Promise<FanOut<T>> {
  const results = await Promise.all(
    nodeIds.map(async (nodeId) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        });
        return { nodeId, ok: true as const, value: await Promise.race([ask(nodeId), timeout]) };
      } catch (err) {
        return { nodeId, ok: false as const, error: err instanceof Error ? err.message : String(err) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const answers: Array<{ nodeId: string; value: T }> = [];
  const unreachable: Unreachable[] = [];
  for (const r of results) {
    if (r.ok) answers.push({ nodeId: r.nodeId, value: r.value });
    else unreachable.push({ nodeId: r.nodeId, error: r.error });
  }
  return { answers, unreachable };
}
