import { renderExpression } from '../variables/index.js';
import { evaluateCondition } from './condition.js';
import { ExpressionSandbox } from './expression-sandbox.js';
import type { CalculationConfig, ConditionConfig } from './types.js';

let shared: ExpressionSandbox | undefined;

/** The process-wide sandbox (created on first use; its worker does not keep the process alive). */
export function expressionSandbox(): ExpressionSandbox {
  shared ??= new ExpressionSandbox();
  return shared;
}

/** Closes the process-wide sandbox (node shutdown, tests). A later call creates a new one. */
export async function closeExpressionSandbox(): Promise<void> {
  const sandbox = shared;
  shared = undefined;
  await sandbox?.close();
}

/**
 * `calculate` with the expression run in the sandbox's worker: the form the calculation node should
 * use, so no expression can stall the event loop or exhaust the node's memory.
 */
export function calculateIsolated(config: CalculationConfig, scope: Record<string, unknown>, sandbox = expressionSandbox()): Promise<unknown> {
  return sandbox.evaluate(config.engine ?? 'math.js', renderExpression(config.expression ?? '', scope));
}

/** `evaluateCondition` with math.js/formula.js expressions run in the sandbox (basic calculators stay inline). */
export async function evaluateConditionIsolated(config: ConditionConfig, scope: Record<string, unknown>, sandbox = expressionSandbox()): Promise<boolean> {
  const engine = config.engine ?? 'basic';
  if (engine === 'basic') return evaluateCondition(config, scope);
  return Boolean(await sandbox.evaluate(engine, renderExpression(config.expression ?? '', scope)));
}
