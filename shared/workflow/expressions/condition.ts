import { cbError } from '../../errors/index.js';
import { render, renderExpression } from '../variables/index.js';
import { evaluate } from './engines.js';
import type { CalculationConfig, CalculationGroup, CalculationItem, Calculator, ConditionConfig } from './types.js';

type Compare = (a: unknown, b: unknown) => boolean;

// eslint-disable-next-line eqeqeq -- NocoBase's `equal`/`==` calculators compare loosely, so "5" equals 5.
const looseEqual: Compare = (a, b) => a == b;
const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const includes: Compare = (a, b) => (Array.isArray(a) ? a.includes(b) : text(a).includes(text(b)));
const gt: Compare = (a, b) => (a as number) > (b as number);
const gte: Compare = (a, b) => (a as number) >= (b as number);
const lt: Compare = (a, b) => (a as number) < (b as number);
const lte: Compare = (a, b) => (a as number) <= (b as number);

/** NocoBase's basic calculators (plugin-workflow `calculators`), each with its symbolic alias. */
const calculators: Record<Calculator, Compare> = {
  equal: looseEqual,
  '==': looseEqual,
  notEqual: (a, b) => !looseEqual(a, b),
  '!=': (a, b) => !looseEqual(a, b),
  gt, '>': gt,
  gte, '>=': gte,
  lt, '<': lt,
  lte, '<=': lte,
  includes,
  notIncludes: (a, b) => !includes(a, b),
  startsWith: (a, b) => text(a).startsWith(text(b)),
  notStartsWith: (a, b) => !text(a).startsWith(text(b)),
  endsWith: (a, b) => text(a).endsWith(text(b)),
  notEndsWith: (a, b) => !text(a).endsWith(text(b)),
};

function isGroup(entry: CalculationItem | CalculationGroup): entry is CalculationGroup {
  return typeof entry === 'object' && entry !== null && 'group' in entry;
}

function runGroup(group: CalculationGroup['group'], scope: Record<string, unknown>): boolean {
  // Half-filled rows from the editor (no calculator, no group) are skipped, as NocoBase does.
  const entries = (group.calculations ?? []).filter((entry) => isGroup(entry) || Boolean(entry?.calculator));
  const check = (entry: CalculationItem | CalculationGroup): boolean => {
    if (isGroup(entry)) return runGroup(entry.group, scope);
    const compare = calculators[entry.calculator];
    if (!compare) throw cbError('CB_ERR_WORKFLOW_EXPRESSION', `Unknown calculator "${String(entry.calculator)}"`);
    const [a, b] = render(entry.operands ?? [], scope);
    return compare(a, b);
  };
  // As NocoBase: an empty group is true; `or` needs one true entry, `and` (the default) all of them.
  return group.type === 'or' ? entries.some(check) : entries.every(check);
}

/**
 * The condition node's test. `engine: 'basic'` (or none) runs the calculation tree with operands
 * rendered against the scope; `math.js`/`formula.js` evaluate `expression` and take its truthiness.
 */
export function evaluateCondition(config: ConditionConfig, scope: Record<string, unknown>): boolean {
  const engine = config.engine ?? 'basic';
  if (engine === 'basic') {
    const group = config.calculation?.group;
    return group ? runGroup(group, scope) : true;
  }
  return Boolean(evaluate(engine, renderExpression(config.expression ?? '', scope)));
}

/** The calculation node: the expression's value with placeholders substituted safely. */
export function calculate(config: CalculationConfig, scope: Record<string, unknown>): unknown {
  return evaluate(config.engine ?? 'math.js', renderExpression(config.expression ?? '', scope));
}
