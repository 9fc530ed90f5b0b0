import type { NodeReport, Unreachable } from './types.js';

/**
 * Why the cluster is degraded (empty when it is not): a node unreachable or not ready. A drained node
 * is there on purpose and does not count, nor does one shutting down.
 */
export function degraded(nodes: readonly NodeReport[], unreachable: readonly Unreachable[]): string[] {
  const out = unreachable.map((u) => `node ${u.nodeId} is unreachable: ${u.error}`);
  for (const n of nodes) {
    if (n.status !== 'not ready') continue;
    const failed = Object.entries(n.checks).filter(([, c]) => !c.ok).map(([name, c]) => `${name}: ${c.error ?? 'failed'}`);
    out.push(`node ${n.nodeId} is not ready (${failed.join('; ') || 'no reason given'})`);
  }
  return out;
}
