import { evaluate } from '../index.js';

function expressionError(engine: 'math.js' | 'formula.js', expression: string): { type?: string; code?: number; message: string } {
  try {
    evaluate(engine, expression);
  } catch (error) {
    return error as { type?: string; code?: number; message: string };
  }
  throw new Error(`expected ${expression} to fail`);
}

describe('evaluate', () => {
  it('computes math.js expressions like NocoBase (9-digit rounding, matrices as arrays)', () => {
    expect(evaluate('math.js', '12.5 * 4')).toBe(50);
    expect(evaluate('math.js', '100*2.3')).toBe(230);
    expect(evaluate('math.js', '0.1 + 0.2')).toBe(0.3);
    expect(evaluate('math.js', 'range(1, 4, 1)')).toEqual([1, 2, 3]);
    expect(evaluate('math.js', '1 / 0')).toBeNull();
    expect(evaluate('math.js', 'equalText("a", "a") ? "yes" : "no"')).toBe('yes');
    expect(evaluate('math.js', 'concat("ab", "cd")')).toBe('abcd');
    expect(evaluate('math.js', 'x = 2; x * 3')).toBe(6);
    expect(evaluate('math.js', 'size(resize([1], [3]))')).toEqual([3]);
    expect(typeof evaluate('math.js', 'randomInt(1, 1e9)')).toBe('number');
    expect(evaluate('math.js', 'size(pickRandom(range(0, 5000), 3))')).toEqual([3]);
    expect(evaluate('math.js', 'combinations(7, 5)')).toBe(21);
    expect(evaluate('math.js', 'setPowerset([1, 2])')).toEqual([[], [1], [2], [1, 2]]);
  });

  it('computes formula.js expressions with its functions and namespaces', () => {
    expect(evaluate('formula.js', 'SUM(1, 2, [3, 4])')).toBe(10);
    expect(evaluate('formula.js', 'IF(2 > 1, "big", "small")')).toBe('big');
    expect(evaluate('formula.js', 'CONCATENATE("a", "b")')).toBe('ab');
    expect(evaluate('formula.js', 'ROUND(NORM.S.DIST(1, true), 4)')).toBe(0.8413);
  });

  it('does not keep assignments between evaluations', () => {
    evaluate('math.js', 'leak = 5');
    expect(expressionError('math.js', 'leak').message).toMatch(/Undefined symbol leak/);
  });

  it('answers a syntax error or unknown function with CB_ERR_WORKFLOW_EXPRESSION (400)', () => {
    for (const [engine, expression] of [['math.js', '1 +'], ['formula.js', 'NOPE(1)'], ['math.js', 'nope(1)'], ['math.js', '']] as const) {
      const error = expressionError(engine, expression);
      expect(error.type).toBe('CB_ERR_WORKFLOW_EXPRESSION');
      expect(error.code).toBe(400);
    }
    expect(expressionError('formula.js', 'NOPE(1)').message).toMatch(/Undefined function NOPE/);
  });
});

describe('evaluate cannot escape the sandbox', () => {
  const escapes = [
    '"".constructor.constructor("return process")()',
    '"abc".constructor',
    'cos.constructor("return process")()',
    'f = cos.constructor; f("return process")()',
    '[].map.constructor("return process")()',
    'sin["constructor"]("return process")()',
    'x = {}; x["constructor"]["constructor"]("return globalThis")()',
    'evaluate("1+1")',
    'parse("1+1")',
    'compile("1+1")',
    'import({ x: 1 })',
    'createUnit("foo")',
    'simplify("x+x")',
    'derivative("x^2", "x")',
    'resolve(parse("x"), {})',
    'config({ number: "BigNumber" })',
    'c = config; c({ number: "BigNumber" })',
    'typed("x", {"number": cos})',
    'process',
    'require("fs")',
    'globalThis',
    'this',
    'x = {}; x.__proto__.polluted = 1',
    'x = {}; x["__proto__"]["polluted"] = 1',
    '{}["__proto__"]',
    'reviver("x", {})',
    'chain(1).done',
    'help(sin).constructor',
    'SUM.constructor("return process")()',
    'BETA.constructor',
    'B = BETA; B.DIST = 5',
    'N = NORM.S; N.DIST = 5',
  ];

  it.each(escapes)('refuses %s', (expression) => {
    for (const engine of ['math.js', 'formula.js'] as const) {
      expect(expressionError(engine, expression).type).toBe('CB_ERR_WORKFLOW_EXPRESSION');
    }
    const fresh: Record<string, unknown> = {};
    expect(fresh.polluted).toBeUndefined();
  });

  it('leaves the shared instances unchanged after escape attempts', () => {
    expect(evaluate('math.js', '0.1 + 0.2')).toBe(0.3);
    expect(evaluate('formula.js', 'BETA.DIST(0.5, 2, 3, true)')).toBeCloseTo(0.6875, 6);
    expect(typeof (globalThis as Record<string, unknown>).polluted).toBe('undefined');
  });

  it.each([
    ['math.js', 'zeros(100000, 100000)'],
    ['math.js', 'ones(1e9)'],
    ['math.js', '1:1e10'],
    ['math.js', 'range(1, 1e10)'],
    ['math.js', 'range("1:1e10")'],
    ['math.js', 'identity(1e6)'],
    ['math.js', 'random([1e5, 1e5])'],
    ['math.js', 'setPowerset(1:30)'],
    ['math.js', 'combinations(1e9, 5e8)'],
    ['math.js', 'permutations(1e9, 5e8)'],
    ['math.js', 'stirlingS2(20000, 10000)'],
    ['math.js', 'bellNumbers(5000)'],
    ['math.js', 'catalan(1e8)'],
    ['math.js', 'resize([1], [1e9])'],
    ['math.js', 'pickRandom([1, 2], 1e9)'],
    ['math.js', 'fraction(3)^1e9'],
    ['math.js', 'kron(ones(1000,1000), ones(1000,1000))'],
    ['math.js', 'f(x) = f(x) + 1; f(1)'],
    ['formula.js', 'REPT("a", 1e9)'],
    ['formula.js', 'MUNIT(1e6)'],
  ] as const)('bounds %s %s', (engine, expression) => {
    expect(expressionError(engine, expression).type).toBe('CB_ERR_WORKFLOW_EXPRESSION');
  });

  it('refuses an overlong expression', () => {
    expect(expressionError('math.js', '1+'.repeat(6000) + '1').message).toMatch(/longer than/);
  });
});
