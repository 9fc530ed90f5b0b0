export type { CalculationConfig, CalculationGroup, CalculationItem, Calculator, ConditionConfig, ExpressionEngine } from './types.js';
export { evaluate } from './engines.js';
export { calculate, evaluateCondition } from './condition.js';
export { ExpressionSandbox, type ExpressionSandboxOptions } from './expression-sandbox.js';
export { calculateIsolated, closeExpressionSandbox, evaluateConditionIsolated, expressionSandbox } from './isolated.js';
export { MAX_ELEMENTS, MAX_EXPRESSION_LENGTH, MAX_LOOP, MAX_TEXT_LENGTH } from './limits.js';
