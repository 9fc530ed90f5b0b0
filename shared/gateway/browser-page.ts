import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

export interface BrowserPage {
  /** Where the page is served, e.g. `/admin`. */
  readonly path: string;
  /** Where its script is served, e.g. `/admin/app.js`. */
  readonly scriptPath: string;
  readonly title: string;
  /** The page's one inline style (allowed by its hash). */
  readonly style: string;
  /** The body's markup (the script fills it). */
  readonly body: string;
  /** The folder of the page's TypeScript (`<dir>/<name>.mts`) and of its build (`<dir>/<name>.js`). */
  readonly dir: string;
  readonly name: string;
}

/** The compiled page script: built by `npm run build` (esbuild), or bundled on first request in development. */
function loadScript(dir: string, name: string): string {
  const built = join(dir, `${name}.js`);
  if (existsSync(built)) return readFileSync(built, 'utf8');
  // Source tree (tsx, tests): esbuild comes with tsx in development installs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild is a development-only dependency, loaded only when no built page exists
  const esbuild = require('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({ entryPoints: [join(dir, `${name}.mts`)], bundle: true, write: false, format: 'iife', target: 'es2022' });
  return out.outputFiles[0]!.text;
}

/**
 * The page runs only its own script and its own style (by hash), talks only to its own origin and
 * cannot be framed (clickjacking). Its script keeps the token in sessionStorage, gone with the tab.
 */
function securityHeaders(style: string): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      `style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`,
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
}

/** Serves a plain TypeScript page (bundled) and its script under the headers above. */
export function registerBrowserPage(server: FastifyInstance, page: BrowserPage): void {
  const headers = securityHeaders(page.style);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${page.title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${page.style}</style></head>
<body>${page.body}
<script src="${page.scriptPath}"></script></body></html>`;
  let script: string | null = null;
  server.get(page.path, (_req, reply) => reply.type('text/html; charset=utf-8').headers(headers).send(html));
  server.get(page.scriptPath, (_req, reply) => {
    script ??= loadScript(page.dir, page.name);
    return reply.type('text/javascript; charset=utf-8').headers(headers).header('cache-control', 'no-cache').send(script);
  });
}
