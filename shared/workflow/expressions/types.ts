/** The calculation engines, named as NocoBase names them in node configs. */
export type ExpressionEngine = 'math.js' | 'formula.js';

export type Calculator =
  | 'equal' | 'notEqual' | 'gt' | 'gte' | 'lt' | 'lte'
  | '==' | '!=' | '>' | '>=' | '<' | '<='
  | 'includes' | 'notIncludes' | 'startsWith' | 'notStartsWith' | 'endsWith' | 'notEndsWith';

export interface CalculationItem {
  calculator: Calculator;
  operands: [unknown, unknown] | unknown[];
}

export interface CalculationGroup {
  group: { type?: 'and' | 'or'; calculations?: Array<CalculationItem | CalculationGroup> };
}

/** The condition node's config (NocoBase: `{rejectOnFalse, engine?, calculation?, expression?}`). */
export interface ConditionConfig {
  rejectOnFalse?: boolean;
  engine?: 'basic' | ExpressionEngine;
  calculation?: CalculationGroup;
  expression?: string;
}

/** The calculation node's config: `engine` defaults to math.js. */
export interface CalculationConfig {
  engine?: ExpressionEngine;
  expression: string;
}
