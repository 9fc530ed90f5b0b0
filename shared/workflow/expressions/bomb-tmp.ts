import { evaluate } from '/work/main/shared/workflow/expressions/index.js';
const expr = process.argv[2] as string;
const t = Date.now();
try { const r = evaluate('math.js', expr); console.log('ok', typeof r, Date.now() - t, 'ms'); } catch (e) { console.log('err', (e as Error).message.slice(0, 120), Date.now() - t, 'ms'); }
