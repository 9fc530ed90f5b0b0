import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { registerBrowserPage } from '../gateway/index.js';

const STYLE = `
body{font:14px system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1f2328}
header{background:#1f2937;color:#fff;padding:12px 20px;display:flex;justify-content:space-between;align-items:center}
header a{color:#9ecbff;margin-left:12px}
main{padding:20px;max-width:1100px;margin:auto}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin-bottom:20px;padding:12px 16px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeef2}
.badge{padding:2px 8px;border-radius:10px;font-size:12px;margin-right:4px;display:inline-block}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}.mid{background:#fff8c5;color:#7d4e00}.off{background:#eaeef2;color:#57606a}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:center}input{padding:4px 6px}button{padding:4px 10px;cursor:pointer}
#error{color:#a40e26;min-height:1em}
`;

/** `/admin`: the supervisor's page (environments, apps, create/start/stop), talking to its REST actions. */
export function registerAdminPage(server: FastifyInstance): void {
  registerBrowserPage(server, {
    path: '/admin',
    scriptPath: '/admin/app.js',
    title: 'clusterbase supervisor',
    style: STYLE,
    body: '<header><strong>clusterbase supervisor</strong><span><span id="who"></span><a id="cluster-link" href="/admin/cluster">cluster</a></span></header>\n<main id="root"><p>Loading…</p></main>',
    dir: join(__dirname, 'admin'),
    name: 'page',
  });
}
