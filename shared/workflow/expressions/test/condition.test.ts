import { calculate, evaluateCondition, type CalculationGroup, type CalculationItem, type ConditionConfig } from '../index.js';

const scope = { $context: { data: { price: 12.5, qty: 4, title: 'wf-test A', tags: ['red', 'blue'], count: '5' } } };

/** A condition as it is stored: calculators named by plain strings, as the API receives them. */
function basic(type: 'and' | 'or', calculations: unknown[]): ConditionConfig {
  return { rejectOnFalse: true, engine: 'basic', calculation: { group: { type, calculations: calculations as Array<CalculationItem | CalculationGroup> } } };
}

describe('evaluateCondition', () => {
  it('runs the NocoBase sample condition (price >= 0)', () => {
    const config = basic('and', [{ calculator: 'gte', operands: ['{{$context.data.price}}', 0] }]);
    expect(evaluateCondition(config, scope)).toBe(true);
    expect(evaluateCondition(config, { $context: { data: { price: -1 } } })).toBe(false);
  });

  it.each([
    ['equal', '{{$context.data.count}}', 5, true],
    ['==', '{{$context.data.qty}}', 4, true],
    ['notEqual', '{{$context.data.qty}}', 4, false],
    ['!=', '{{$context.data.qty}}', 3, true],
    ['gt', '{{$context.data.qty}}', 4, false],
    ['>', '{{$context.data.qty}}', 3, true],
    ['gte', '{{$context.data.qty}}', 4, true],
    ['>=', '{{$context.data.qty}}', 5, false],
    ['lt', '{{$context.data.qty}}', 5, true],
    ['<', '{{$context.data.qty}}', 4, false],
    ['lte', '{{$context.data.qty}}', 4, true],
    ['<=', '{{$context.data.qty}}', 3, false],
    ['includes', '{{$context.data.title}}', 'test', true],
    ['includes', '{{$context.data.tags}}', 'red', true],
    ['notIncludes', '{{$context.data.tags}}', 'green', true],
    ['startsWith', '{{$context.data.title}}', 'wf-', true],
    ['notStartsWith', '{{$context.data.title}}', 'wf-', false],
    ['endsWith', '{{$context.data.title}}', ' A', true],
    ['notEndsWith', '{{$context.data.title}}', ' B', true],
  ])('%s(%s, %p) is %p', (calculator, a, b, expected) => {
    expect(evaluateCondition(basic('and', [{ calculator, operands: [a, b] }]), scope)).toBe(expected);
  });

  it('combines and/or groups, nested', () => {
    const yes = { calculator: 'gt', operands: ['{{$context.data.qty}}', 1] };
    const no = { calculator: 'lt', operands: ['{{$context.data.qty}}', 1] };
    expect(evaluateCondition(basic('and', [yes, no]), scope)).toBe(false);
    expect(evaluateCondition(basic('or', [yes, no]), scope)).toBe(true);
    expect(evaluateCondition(basic('and', [yes, { group: { type: 'or', calculations: [no, yes] } }]), scope)).toBe(true);
    expect(evaluateCondition(basic('and', [yes, { group: { type: 'and', calculations: [no, yes] } }]), scope)).toBe(false);
    expect(evaluateCondition(basic('and', []), scope)).toBe(true);
    expect(evaluateCondition({ rejectOnFalse: false }, scope)).toBe(true);
  });

  it('evaluates math.js and formula.js expressions by truthiness', () => {
    expect(evaluateCondition({ engine: 'math.js', expression: '{{$context.data.price}} * {{$context.data.qty}} > 40' }, scope)).toBe(true);
    expect(evaluateCondition({ engine: 'formula.js', expression: 'AND({{$context.data.qty}} > 1, {{$context.data.qty}} < 3)' }, scope)).toBe(false);
  });

  it('rejects an unknown calculator with CB_ERR_WORKFLOW_EXPRESSION', () => {
    expect(() => evaluateCondition(basic('and', [{ calculator: 'like', operands: [1, 1] }]), scope)).toThrow(expect.objectContaining({ type: 'CB_ERR_WORKFLOW_EXPRESSION' }));
  });

  it('cannot be injected through a string value', () => {
    const evil = { $context: { data: { title: '" + process + "' } } };
    expect(evaluateCondition({ engine: 'math.js', expression: 'equalText({{$context.data.title}}, "x")' }, evil)).toBe(false);
    expect(evaluateCondition({ engine: 'math.js', expression: 'equalText({{$context.data.title}}, "\\" + process + \\"")' }, evil)).toBe(true);
  });
});

describe('calculate', () => {
  it('computes the sample calculation node (price * qty = 50)', () => {
    expect(calculate({ engine: 'math.js', expression: '{{$context.data.price}} * {{$context.data.qty}}' }, scope)).toBe(50);
    expect(calculate({ expression: '{{$context.data.qty}} - {{n}}' }, { ...scope, n: -3 })).toBe(7);
    expect(calculate({ engine: 'formula.js', expression: 'CONCATENATE({{$context.data.title}}, "!")' }, scope)).toBe('wf-test A!');
  });
});
