export type { VariableScope } from './types.js';
export { render } from './render.js';
export { renderExpression, toExpressionLiteral } from './render-expression.js';
export { getPath } from './path.js';
