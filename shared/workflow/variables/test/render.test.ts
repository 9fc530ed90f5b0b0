import { parse } from '@nocobase/utils/lib/json-templates';
import { render, renderExpression, toExpressionLiteral } from '../index.js';

const scope = {
  $context: { data: { id: 11880, title: 'wf-test A', price: 12.5, qty: 4, tags: ['a', 'b'], items: [{ price: 2 }, { price: 3 }], owner: { name: 'x' }, nothing: null } },
  $jobsMapByNodeKey: { ksi6plrtfnn: { id: 7, note: 'n' }, plydc6qgtai: 50 },
  $scopes: { loop1: { item: { sku: 'S1' }, index: 0 } },
  $system: { now: () => new Date('2026-11-22T08:00:00.000Z') },
};

describe('render (NocoBase variable semantics)', () => {
  it('keeps the type of a value that is exactly one template', () => {
    expect(render('{{$context.data.id}}', scope)).toBe(11880);
    expect(render('{{ $context.data.owner }}', scope)).toEqual({ name: 'x' });
    expect(render('{{$jobsMapByNodeKey.plydc6qgtai}}', scope)).toBe(50);
    expect(render('{{$jobsMapByNodeKey.ksi6plrtfnn}}', scope)).toEqual({ id: 7, note: 'n' });
    expect(render('{{$jobsMapByNodeKey.ksi6plrtfnn.id}}', scope)).toBe(7);
    expect(render('{{$scopes.loop1.item}}', scope)).toEqual({ sku: 'S1' });
    expect(render('{{$context.data.tags.1}}', scope)).toBe('b');
    expect(render('{{$context.data.items.0.price}}', scope)).toBe(2);
  });

  it('calls a function in scope ($system.now)', () => {
    expect(render('{{$system.now}}', scope)).toEqual(new Date('2026-11-22T08:00:00.000Z'));
    expect(render('at {{$system.now}}', scope)).toBe('at 2026-11-22T08:00:00.000Z');
  });

  it('interpolates templates inside a longer string', () => {
    expect(render('created {{$context.data.title}} price={{$context.data.price}}', scope)).toBe('created wf-test A price=12.5');
    expect(render('total={{$jobsMapByNodeKey.plydc6qgtai}}', scope)).toBe('total=50');
    expect(render('o={{$context.data.owner}} n={{$context.data.nothing}} u={{$context.nope}}', scope)).toBe('o={"name":"x"} n= u=');
  });

  it('renders objects and arrays deeply without changing the input', () => {
    const config = { filter: { $and: [{ id: { $eq: '{{$jobsMapByNodeKey.ksi6plrtfnn.id}}' } }] }, values: { productId: '{{$context.data.id}}', n: 3, b: true, z: null } };
    const copy = structuredClone(config);
    expect(render(config, scope)).toEqual({ filter: { $and: [{ id: { $eq: 7 } }] }, values: { productId: 11880, n: 3, b: true, z: null } });
    expect(config).toEqual(copy);
  });

  it('renders unknown paths as undefined and never walks the prototype chain', () => {
    expect(render('{{$context.data.missing.deep}}', scope)).toBeUndefined();
    expect(render('{{$context.constructor}}', scope)).toBeUndefined();
    expect(render('{{$context.data.title.length}}', scope)).toBeUndefined();
    expect(render('{{$context.__proto__}}', scope)).toBeUndefined();
    expect(render('{{nothing.at.all}}', {})).toBeUndefined();
  });

  it('never lets a rendered key pollute a prototype', () => {
    const out = render({ '{{k}}': { polluted: true } }, { k: '__proto__' }) as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    expect(fresh.polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('uses the default after a colon when the value is missing, as NocoBase does', () => {
    expect(render('{{$context.data.nope:fallback}}', scope)).toBe('fallback');
  });

  it('leaves text that is not a template alone', () => {
    expect(render('{"a": {"b": 1}}', scope)).toBe('{"a": {"b": 1}}');
    expect(render('{{ not a ; template }}', scope)).toBe('{{ not a ; template }}');
  });

  it('agrees with NocoBase json-templates on the sample configs', () => {
    const configs = [
      { values: { productId: '{{$context.data.id}}', note: 'created {{$context.data.title}} price={{$context.data.price}}' } },
      { filter: { $and: [{ id: { $eq: '{{$jobsMapByNodeKey.ksi6plrtfnn.id}}' } }] }, values: { note: 'total={{$jobsMapByNodeKey.plydc6qgtai}}' } },
      ['{{$scopes.loop1.index}}', 'x{{$context.data.qty}}y', 7, null],
    ];
    for (const config of configs) expect(render(config, scope)).toEqual(parse(config)(scope));
  });
});

describe('renderExpression', () => {
  it('substitutes numbers as numbers', () => {
    expect(renderExpression('{{$context.data.price}} * {{$context.data.qty}}', scope).replace(/\s+/g, ' ')).toBe('12.5 * 4');
  });

  it('writes strings as escaped literals so they cannot inject syntax', () => {
    const evil = { s: '" + 1 + "\\', n: '\n', u: 'é"' };
    expect(renderExpression('{{s}}', evil)).toBe(JSON.stringify(evil.s));
    expect(toExpressionLiteral('é"')).toBe('"\\u00e9\\""');
    expect(toExpressionLiteral(-3)).toBe('(-3)');
    expect(toExpressionLiteral(null)).toBe('null');
    expect(toExpressionLiteral([1, 'a'])).toBe('[1, "a"]');
    expect(toExpressionLiteral({ a: 1 })).toBe('{"a": 1}');
  });

  it('maps a path through an array like NocoBase evaluators', () => {
    expect(renderExpression('{{$context.data.items.price}}', scope)).toBe('[2, 3]');
  });
});
