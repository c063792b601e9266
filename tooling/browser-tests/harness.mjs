// Builds the page with esbuild, serves it from 127.0.0.1 and drives Debian's Chromium with
// playwright-core (no browser download). Every console error or uncaught page error is recorded;
// the tests assert there were none.
import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

export const CHROMIUM = process.env.NQC_CHROMIUM ?? '/usr/bin/chromium';
const here = import.meta.dirname;
export const out = join(here, 'dist');

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.wasm': 'application/wasm' };

/** Bundles page/main.js and page/worker.js (ESM, code splitting: the HE code stays a lazy chunk). */
export async function buildPage() {
  const esbuild = await import('esbuild');
  rmSync(out, { recursive: true, force: true });
  const r = await esbuild.build({
    entryPoints: [join(here, 'page', 'main.js'), join(here, 'page', 'worker.js')],
    bundle: true, format: 'esm', splitting: true, outdir: out, logLevel: 'silent',
  });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.text).join('\n'));
  await esbuild.build({ entryPoints: [join(here, 'page', 'index.html')], loader: { '.html': 'copy' }, outdir: out, logLevel: 'silent' });
}

/** A static server for dist/ on `host` (an ephemeral port). @returns {Promise<{ url: string, close(): Promise<void> }>} */
export function serve(host = '127.0.0.1') {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(out, path === '/' ? 'index.html' : path);
    if (!file.startsWith(out) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      resolve({ url: `http://${host}:${port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** Launches Chromium headless with the tier's flags. */
export async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Opens `url` in a new page and waits for the bundle to be ready.
 * @returns {Promise<{ page: import('playwright-core').Page, problems: string[] }>}
 */
export async function open(browser, url) {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && problems.push(`worker console.error: ${m.text()}`)));
  page.setDefaultTimeout(300_000);
  await page.goto(url);
  await page.waitForFunction(() => globalThis.nqcReady === true);
  return { page, problems };
}
