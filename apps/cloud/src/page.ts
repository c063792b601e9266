/**
 * Serves the built browser page (`dist/page/`) from a fixed list of files, with a strict
 * Content-Security-Policy: scripts from this origin only, no inline script; WebAssembly and `eval` are
 * allowed because SEAL's emscripten/embind glue compiles functions with `new Function` (the page fails
 * with `ERR_SHE_SEAL_FATAL` without `'unsafe-eval'`, checked in Chromium).
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Files of the page, by URL path. */
const FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/he.worker.js': 'he.worker.js',
  '/style.css': 'style.css',
};

const CSP = "default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self' data:; img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Registers `GET` routes for the page files found in `dir` (read once, at start). HTML pages get
 * `<meta name="nqc-server-key" content="nqc-pub-...">`: the key the page's channel client pins (it
 * comes with the page's code, which the page trusts anyway).
 * @param app - the server
 * @param dir - the built page directory
 * @param opts - `serverKey`: the channel's verifying key
 */
export function servePage(app: FastifyInstance, dir: string, opts: { serverKey?: string } = {}): void {
  for (const [url, file] of Object.entries(FILES)) {
    let body: Buffer;
    try {
      body = readFileSync(join(dir, file));
    } catch {
      continue; // not built: the route is absent
    }
    if (file.endsWith('.html') && opts.serverKey !== undefined && /^nqc-pub-[a-z0-9-]+$/.test(opts.serverKey)) {
      body = Buffer.from(body.toString('utf8').replace('</head>', `  <meta name="nqc-server-key" content="${opts.serverKey}">\n</head>`));
    }
    const type = TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';
    app.get(url, async (_req, reply) =>
      reply
        .header('content-type', type)
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }
}
