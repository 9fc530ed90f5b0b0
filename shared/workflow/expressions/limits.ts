/**
 * Bounds on what one expression may allocate. The parsers have no loops, so work is bounded by the
 * size of the values an expression can build: these caps stop `zeros(1e5, 1e5)`, `1:1e10` or
 * `REPT("a", 1e9)` before they allocate. CPU time inside one bounded operation is not pre-empted.
 */
export const MAX_EXPRESSION_LENGTH = 10_000;
export const MAX_ELEMENTS = 100_000;
export const MAX_TEXT_LENGTH = 1_000_000;
/** Most iterations a combinatorics function may run (about 50 ms). */
export const MAX_LOOP = 1_000_000;

/** Element count of an array or matrix argument. */
function sizeOf(value: unknown): number {
  const inner = value && typeof value === 'object' && 'valueOf' in value ? (value as { valueOf(): unknown }).valueOf() : value;
  return Array.isArray(inner) ? inner.flat(Infinity).length : 1;
}

function sizeProduct(args: readonly unknown[]): number {
  const dims: number[] = [];
  for (const arg of args) {
    if (typeof arg === 'number') dims.push(arg);
    else if (Array.isArray(arg)) dims.push(...arg.filter((d): d is number => typeof d === 'number'));
    else if (arg && typeof arg === 'object' && 'valueOf' in arg) {
      const inner = (arg as { valueOf(): unknown }).valueOf();
      if (Array.isArray(inner)) dims.push(...inner.filter((d): d is number => typeof d === 'number'));
    }
  }
  return dims.reduce((product, d) => product * Math.max(1, Math.abs(d)), 1);
}

function rangeCount(args: readonly unknown[]): number {
  let [start, end, step] = args as unknown[];
  if (typeof start === 'string') [start, end, step] = start.split(':').map((part) => Number(part.trim()));
  const from = Number(start);
  const to = Number(end);
  const by = step === undefined || typeof step === 'boolean' ? 1 : Number(step);
  if (!Number.isFinite(from) || !Number.isFinite(to) || !Number.isFinite(by) || by === 0) return 0;
  return Math.abs((to - from) / by);
}

type AnyFunction = (...args: unknown[]) => unknown;

function capped(name: string, fn: AnyFunction, count: (args: readonly unknown[]) => number, max = MAX_ELEMENTS): AnyFunction {
  return (...args: unknown[]) => {
    if (count(args) > max) throw new RangeError(`${name}: the result would exceed ${max} elements`);
    return fn(...args);
  };
}

/** math.js functions that build values whose size comes from their arguments, wrapped with a cap. */
export function cappedMathFunctions(math: Record<string, unknown>): Record<string, AnyFunction> {
  const pick = (name: string) => math[name] as AnyFunction;
  const out: Record<string, AnyFunction> = {};
  for (const name of ['zeros', 'ones', 'identity']) out[name] = capped(name, pick(name), sizeProduct);
  // Only the size argument counts here: `randomInt(1, 1e9)` is one number, `random([1e3, 1e3])` a matrix.
  const sizeArgs = (args: readonly unknown[]) => sizeProduct(args.filter((arg) => typeof arg === 'object' && arg !== null).slice(0, 1));
  for (const name of ['random', 'randomInt', 'resize']) {
    out[name] = capped(name, pick(name), name === 'resize' ? (args) => sizeProduct(args.slice(1, 2)) : sizeArgs);
  }
  out.pickRandom = capped('pickRandom', pick('pickRandom'), (args) => (typeof args[1] === 'number' ? args[1] : 1));
  out.range = capped('range', pick('range'), rangeCount);
  // Combinatorics loop over their arguments: bound the work, not just the memory.
  const num = (value: unknown) => Math.abs(Number(value ?? 0)) || 0;
  for (const name of ['combinations', 'combinationsWithRep', 'permutations']) {
    out[name] = capped(name, pick(name), (args) => num(args[1]), MAX_LOOP);
  }
  out.catalan = capped('catalan', pick('catalan'), (args) => num(args[0]), MAX_LOOP);
  out.stirlingS2 = capped('stirlingS2', pick('stirlingS2'), (args) => num(args[0]) * num(args[1]), MAX_LOOP);
  out.bellNumbers = capped('bellNumbers', pick('bellNumbers'), (args) => num(args[0]) ** 2, MAX_LOOP);
  out.setPowerset = capped('setPowerset', pick('setPowerset'), (args) => 2 ** sizeProduct([sizeOf(args[0])]));
  return out;
}

/** formula.js functions that build big values, wrapped the same way. */
export function cappedFormulaFunctions(formula: Record<string, unknown>): Record<string, AnyFunction> {
  const pick = (name: string) => formula[name] as AnyFunction;
  return {
    REPT: capped('REPT', pick('REPT'), (args) => String(args[0] ?? '').length * Number(args[1] ?? 0), MAX_TEXT_LENGTH),
    MUNIT: capped('MUNIT', pick('MUNIT'), (args) => Number(args[0]) ** 2),
    EXPAND: capped('EXPAND', pick('EXPAND'), (args) => Number(args[1] ?? 1) * Number(args[2] ?? 1)),
  };
}
