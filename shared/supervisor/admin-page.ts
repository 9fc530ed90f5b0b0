import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const STYLE = `
body{font:14px system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1f2328}
header{background:#1f2937;color:#fff;padding:12px 20px;display:flex;justify-content:space-between;align-items:center}
main{padding:20px;max-width:1100px;margin:auto}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin-bottom:20px;padding:12px 16px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeef2}
.badge{padding:2px 8px;border-radius:10px;font-size:12px;margin-right:4px;display:inline-block}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}.mid{background:#fff8c5;color:#7d4e00}.off{background:#eaeef2;color:#57606a}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:center}input{padding:4px 6px}button{padding:4px 10px;cursor:pointer}
#error{color:#a40e26;min-height:1em}
`;

const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clusterbase supervisor</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body><header><strong>clusterbase supervisor</strong><span id="who"></span></header>
<main id="root"><p>Loading…</p></main>
<script src="/admin/app.js"></script></body></html>`;

/** The compiled page script: built by `npm run build` (esbuild), or bundled on first request in development. */
function loadScript(): string {
  const built = join(__dirname, 'admin', 'page.js');
  if (existsSync(built)) return readFileSync(built, 'utf8');
  // Source tree (tsx, tests): esbuild comes with tsx in development installs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild is a development-only dependency, loaded only when no built page exists
  const esbuild = require('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({ entryPoints: [join(__dirname, 'admin', 'page.mts')], bundle: true, write: false, format: 'iife', target: 'es2022' });
  return out.outputFiles[0]!.text;
}

/**
 * The page runs only its own script and its own style (by hash), talks only to its own origin and
 * cannot be framed (clickjacking); its token lives in sessionStorage, gone with the tab.
 */
const SECURITY_HEADERS = {
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** `/admin`: the supervisor's page (environments, apps, create/start/stop), talking to its REST actions. */
export function registerAdminPage(server: FastifyInstance): void {
  let script: string | null = null;
  server.get('/admin', (_req, reply) => reply.type('text/html; charset=utf-8').headers(SECURITY_HEADERS).send(HTML));
  server.get('/admin/app.js', (_req, reply) => {
    script ??= loadScript();
    return reply.type('text/javascript; charset=utf-8').headers(SECURITY_HEADERS).header('cache-control', 'no-cache').send(script);
  });
}
