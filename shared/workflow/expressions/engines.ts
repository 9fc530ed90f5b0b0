import type * as FormulaJs from '@formulajs/formulajs';
import type * as MathJs from 'mathjs';
import type { MathJsInstance } from 'mathjs';
import { cbError } from '../../errors/index.js';
import type { ExpressionEngine } from './types.js';
import { MAX_EXPRESSION_LENGTH, cappedFormulaFunctions, cappedMathFunctions } from './limits.js';

type AnyFunction = (...args: unknown[]) => unknown;
type Evaluate = (expression: string, scope: Map<string, unknown>) => unknown;

/**
 * Names an expression must not reach: the ones math.js's security guide says to disable (they parse or
 * evaluate new code, or change the shared instance), plus `config`/`typed` (they would change how every
 * later expression evaluates) and a few that are costly without bound (`fraction` powers, `kron`).
 */
const DENIED = [
  'import', 'createUnit', 'evaluate', 'parse', 'compile', 'parser', 'simplify', 'simplifyConstant',
  'simplifyCore', 'derivative', 'resolve', 'rationalize', 'leafCount', 'symbolicEqual', 'reviver',
  'replacer', 'config', 'typed', 'chain', 'help', 'fraction', 'kron', 'matrixFromFunction',
] as const;

function disabled(name: string): AnyFunction {
  return () => {
    throw new Error(`Function ${name} is disabled`);
  };
}

function deepFreezeCopy(value: unknown): unknown {
  if (typeof value === 'function' || value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = deepFreezeCopy(item);
  return Object.freeze(copy);
}

/**
 * One restricted math.js instance per engine. Disabled names are both overridden in the instance (as the
 * math.js guide does, keeping a private reference to `evaluate`) and shadowed in every evaluation's
 * scope, which math.js consults first. Each evaluation gets a fresh scope, so assignments made by one
 * expression never leak into the next.
 */
function restrictedEngine(mathjs: typeof MathJs, matrix: 'Matrix' | 'Array', extra: ReadonlyArray<[string, unknown]>): Evaluate {
  const math = mathjs.create(mathjs.all, { matrix, number: 'number' }) as MathJsInstance;
  const evaluate = math.evaluate.bind(math) as unknown as Evaluate;
  const caps = cappedMathFunctions(math as unknown as Record<string, unknown>);
  // The `a:b` operator calls the instance's own `range`, not the scope's: the caps go in both places.
  math.import(caps, { override: true });
  math.import(
    Object.fromEntries(['import', 'createUnit', 'evaluate', 'parse', 'simplify', 'derivative', 'resolve'].map((n) => [n, disabled(n)])),
    { override: true },
  );

  const base: Array<[string, unknown]> = [
    ...extra,
    ...Object.entries(caps),
    ...DENIED.map((name): [string, unknown] => [name, disabled(name)]),
  ];
  return (expression, scope) => {
    for (const [key, value] of base) scope.set(key, value);
    return evaluate(expression, scope);
  };
}

function formulaEntries(formulajs: typeof FormulaJs): Array<[string, unknown]> {
  const source = formulajs as unknown as Record<string, unknown>;
  const entries: Array<[string, unknown]> = [];
  for (const [name, value] of Object.entries(source)) {
    if (name === 'default' || name === 'utils' || name === 'ERROR') continue;
    // Namespaces such as NORM.S.DIST are frozen copies: an expression cannot modify the library.
    entries.push([name, deepFreezeCopy(value)]);
  }
  return [...entries, ...Object.entries(cappedFormulaFunctions(source))];
}

let engines: Record<ExpressionEngine, Evaluate> | undefined;
let round: typeof MathJs.round;

/**
 * The engines, built on the first evaluation: math.js and formula.js are loaded only then (math.js
 * builds every function factory when loaded, a cost request-only nodes and start-up need not pay).
 */
function getEngines(): Record<ExpressionEngine, Evaluate> {
  if (!engines) {
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, synchronously (evaluate is sync) */
    const mathjs = require('mathjs') as typeof MathJs;
    const formulajs = require('@formulajs/formulajs') as typeof FormulaJs;
    /* eslint-enable @typescript-eslint/no-require-imports */
    round = mathjs.round;
    engines = { 'math.js': restrictedEngine(mathjs, 'Matrix', []), 'formula.js': restrictedEngine(mathjs, 'Array', formulaEntries(formulajs)) };
  }
  return engines;
}

/** Plain JSON-like output, as NocoBase's evaluators give: matrices as arrays, numbers rounded to 9 places. */
function normalise(result: unknown): unknown {
  if (typeof result === 'number') {
    if (!Number.isFinite(result)) return null;
    return round(result, 9);
  }
  if (result && typeof result === 'object') {
    const value = result as { isMatrix?: boolean; isResultSet?: boolean; entries?: unknown[]; valueOf(): unknown; toString(): string };
    if (value.isMatrix) return normalise(value.valueOf());
    if (value.isResultSet) return normalise(value.entries?.at(-1));
    if (Array.isArray(result)) return result.map(normalise);
    if ('isBigNumber' in value || 'isFraction' in value || 'isComplex' in value || 'isUnit' in value) return value.toString();
  }
  if (typeof result === 'function') return undefined;
  return result;
}

/**
 * Evaluates an expression (placeholders already substituted, see `renderExpression`) with a restricted
 * math.js parser; the formula.js engine is the same parser with formula.js's functions (SUM, IF,
 * NORM.S.DIST…) callable. Never uses eval, Function or vm. Any failure is CB_ERR_WORKFLOW_EXPRESSION.
 */
export function evaluate(engine: ExpressionEngine, expression: string): unknown {
  const chosen = getEngines()[engine];
  if (!chosen) throw cbError('CB_ERR_WORKFLOW_EXPRESSION', `Unknown calculation engine "${String(engine)}"`);
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw cbError('CB_ERR_WORKFLOW_EXPRESSION', 'The expression is empty');
  }
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw cbError('CB_ERR_WORKFLOW_EXPRESSION', `The expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  try {
    return normalise(chosen(expression, new Map()));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw cbError('CB_ERR_WORKFLOW_EXPRESSION', `${engine} expression failed: ${message}`, { engine, expression });
  }
}
