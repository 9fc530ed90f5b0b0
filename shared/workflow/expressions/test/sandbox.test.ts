import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ExpressionSandbox, calculateIsolated, closeExpressionSandbox, evaluateConditionIsolated } from '../index.js';

// About a minute of CPU with little memory: user functions mapped over a capped matrix.
const SLOW = 'f(x) = sum(ones(10000)); sum(map(ones(100000), f))';

describe('ExpressionSandbox (worker thread)', () => {
  const sandbox = new ExpressionSandbox({ timeoutMs: 3000, maxHeapMb: 192 });

  afterAll(async () => {
    await sandbox.close();
    await closeExpressionSandbox();
  });

  it('evaluates both engines off the main thread', async () => {
    await expect(sandbox.evaluate('math.js', '12.5 * 4')).resolves.toBe(50);
    await expect(sandbox.evaluate('formula.js', 'SUM(1, 2, [3, 4])')).resolves.toBe(10);
    await expect(sandbox.evaluate('math.js', 'range(1, 4)')).resolves.toEqual([1, 2, 3]);
  });

  it('passes expression errors through as CB_ERR_WORKFLOW_EXPRESSION', async () => {
    await expect(sandbox.evaluate('math.js', '"".constructor.constructor("return process")()')).rejects.toMatchObject({ type: 'CB_ERR_WORKFLOW_EXPRESSION', code: 400 });
    await expect(sandbox.evaluate('formula.js', 'NOPE(1)')).rejects.toMatchObject({ type: 'CB_ERR_WORKFLOW_EXPRESSION', message: expect.stringContaining('NOPE') });
  });

  it('stops an expression that runs too long, then carries on', async () => {
    await expect(sandbox.evaluate('math.js', SLOW)).rejects.toMatchObject({ type: 'CB_ERR_WORKFLOW_EXPRESSION', message: expect.stringContaining('longer than') });
    await expect(sandbox.evaluate('math.js', '1 + 1')).resolves.toBe(2);
  });

  it('stops an expression that needs too much memory, then carries on', async () => {
    await expect(sandbox.evaluate('math.js', 'ones(100000, 1) + ones(1, 100000)')).rejects.toMatchObject({ type: 'CB_ERR_WORKFLOW_EXPRESSION' });
    await expect(sandbox.evaluate('formula.js', 'IF(1 > 0, "ok", "no")')).resolves.toBe('ok');
  });

  it('runs queued calls in order after a stopped one', async () => {
    const results = await Promise.allSettled([
      sandbox.evaluate('math.js', '2 * 3'),
      sandbox.evaluate('math.js', SLOW),
      sandbox.evaluate('math.js', '7 - 1'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseFulfilledResult<unknown>).value).toBe(6);
  });

  it('serves the calculation and condition nodes through the shared sandbox', async () => {
    const scope = { $context: { data: { price: 12.5, qty: 4 } } };
    await expect(calculateIsolated({ engine: 'math.js', expression: '{{$context.data.price}} * {{$context.data.qty}}' }, scope)).resolves.toBe(50);
    await expect(evaluateConditionIsolated({ engine: 'formula.js', expression: '{{$context.data.qty}} > 3' }, scope)).resolves.toBe(true);
    await expect(evaluateConditionIsolated({ engine: 'basic', calculation: { group: { type: 'and', calculations: [{ calculator: 'gte', operands: ['{{$context.data.price}}', 0] }] } } }, scope)).resolves.toBe(true);
  });

  it('does not keep the process alive: a process that evaluated through the open shared sandbox exits by itself', async () => {
    const script = `const { calculateIsolated } = require(${JSON.stringify(join(__dirname, '..', 'index.ts'))});
      calculateIsolated({ engine: 'math.js', expression: '6 * 7' }, {}).then((v) => console.log('value', v));`;
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', '-e', script], { timeout: 60_000 }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout }),
      );
      child.stdin?.end();
    });
    expect(out).toEqual({ code: 0, stdout: 'value 42\n' });
  });

  it('refuses calls after close', async () => {
    const closing = new ExpressionSandbox();
    await closing.close();
    await expect(closing.evaluate('math.js', '1')).rejects.toMatchObject({ type: 'CB_ERR_WORKFLOW_EXPRESSION' });
  });
});
