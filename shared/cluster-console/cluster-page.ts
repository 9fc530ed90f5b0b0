import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { registerBrowserPage } from '../gateway/index.js';

const STYLE = `
body{font:14px system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1f2328}
header{background:#1f2937;color:#fff;padding:12px 20px;display:flex;justify-content:space-between;align-items:center}
header a{color:#9ecbff}
main{padding:20px;max-width:1300px;margin:auto}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin-bottom:20px;padding:12px 16px}
h2{font-size:16px;margin:4px 0 10px}h3{font-size:13px;margin:10px 0 6px;color:#57606a;text-transform:uppercase}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 10px;min-width:240px}
.card dl{display:grid;grid-template-columns:auto auto;gap:2px 10px;margin:6px 0;font-size:12px}.card dt{color:#57606a}
.badge{padding:2px 8px;border-radius:10px;font-size:12px;margin-right:4px;display:inline-block}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}.mid{background:#fff8c5;color:#7d4e00}.off{background:#eaeef2;color:#57606a}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:center}input{padding:4px 6px}button{padding:3px 10px;cursor:pointer}
#error{color:#a40e26;min-height:1em}.small{font-size:12px;color:#57606a}
`;

/**
 * `/admin/cluster` on every gateway: nodes as cards by role, queues, locks, running work and dead
 * letters of the whole cluster, with drain/undrain and requeue/discard, refreshing on its own.
 * It reads the `cluster:*` actions with the signed-in root or admin user's token.
 */
export function registerClusterPage(server: FastifyInstance): void {
  registerBrowserPage(server, {
    path: '/admin/cluster',
    scriptPath: '/admin/cluster.js',
    title: 'clusterbase cluster',
    style: STYLE,
    body: '<header><strong>clusterbase cluster</strong><span id="summary"></span></header>\n<main id="root"><p>Loading…</p></main>',
    dir: join(__dirname, 'page'),
    name: 'page',
  });
}
