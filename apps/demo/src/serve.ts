/**
 * `npm run demo`: the zero-trust cloud server (`@nqc/cloud`'s built `dist/main.js`, embedded SQLite
 * store) in a child process, its URL printed, running until Ctrl-C; and `--check`: the same server on
 * a free port with a temporary data directory, the browser scenario run against it headless in
 * Debian's Chromium, then stopped. Node-only.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where the cloud app is: its package directory (a workspace link). */
export function cloudDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@nqc/cloud/package.json'));
}

/** A running cloud server. */
export interface CloudServer {
  /** The URL it listens on (`http://127.0.0.1:8787`). */
  readonly url: string;
  /** The child process. */
  readonly child: ChildProcess;
  /** Resolves with the child's exit code when it ends. */
  readonly exited: Promise<number>;
}

/** Options of {@link startCloud}. */
export interface StartOptions {
  /** Environment of the server: `PORT`, `HOST`, `NQC_DATA_DIR`, `LOG_LEVEL` (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the server's output goes (default: this process's stdout/stderr). */
  readonly output?: 'inherit' | 'quiet';
  /** How long to wait for the URL, ms (default 120,000: the first start builds nothing but loads SEAL). */
  readonly timeoutMs?: number;
}

/**
 * Starts `@nqc/cloud`'s server (`dist/main.js`) and waits until it prints its URL.
 * @param opts - environment, output, timeout
 * @returns the URL, the child and its exit
 * @throws Error if the app is not built, or the server exits or stays silent before listening
 */
export function startCloud(opts: StartOptions = {}): Promise<CloudServer> {
  const main = join(cloudDir(), 'dist', 'main.js');
  if (!existsSync(main)) return Promise.reject(new Error(`${main} not found: build first (pnpm exec turbo run build --filter=@nqc/cloud...)`));
  const env = { ...process.env, LOG_LEVEL: 'warn', ...opts.env };
  // Its own process group: a terminal's Ctrl-C reaches this process only, which sends the server
  // exactly one SIGTERM (two signals would start its shutdown twice). It dies with this process.
  const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const orphan = () => child.kill('SIGTERM');
  process.once('exit', orphan);
  child.once('exit', () => process.off('exit', orphan));
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1))));
  const quiet = opts.output === 'quiet';
  child.stderr!.on('data', (b: Buffer) => {
    if (!quiet) process.stderr.write(b);
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    let listening = false;
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the cloud server printed no URL within ${opts.timeoutMs ?? 120_000} ms`));
    }, opts.timeoutMs ?? 120_000);
    child.stdout!.on('data', (b: Buffer) => {
      if (!quiet) process.stdout.write(b);
      if (listening) return;
      seen += b.toString('utf8');
      const m = /nqc cloud: (https?:\/\/\S+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        listening = true;
        resolve({ url: m[1]!, child, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (!listening) reject(new Error(`the cloud server exited (code ${code}) before listening`));
    });
  });
}

/**
 * `npm run demo`: starts the server with this process's `PORT` (default 8787), `HOST` (default
 * 127.0.0.1) and `NQC_DATA_DIR` (default the cloud app's `data/`), prints how to open it, and
 * forwards SIGINT/SIGTERM to it. Resolves with the exit code: 0 after SIGTERM, 130 after SIGINT
 * (Ctrl-C), the server's own code if it stopped by itself.
 */
export async function serve(): Promise<number> {
  const env = { NQC_DATA_DIR: process.env['NQC_DATA_DIR'] ?? join(cloudDir(), 'data'), LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' };
  let signal: NodeJS.Signals | undefined;
  const running: { server?: CloudServer; stopping?: boolean } = {};
  const stop = () => {
    // One SIGTERM only: a second one would interrupt the server's shutdown.
    if (running.stopping || !running.server) return;
    running.stopping = true;
    running.server.child.kill('SIGTERM');
  };
  const forward = (s: NodeJS.Signals) => {
    signal ??= s;
    stop();
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  // Orphaned (a wrapper such as `sh -c` died of a signal it did not pass on): stop as on SIGTERM.
  const parent = process.ppid;
  const watch = setInterval(() => process.ppid !== parent && forward('SIGTERM'), 1000);
  watch.unref();
  const server = (running.server = await startCloud({ env }));
  if (signal) stop(); // a signal came while it was starting
  const url = server.url;
  console.log(`\nOpen ${url} in a browser (or ${url.replace('127.0.0.1', 'localhost')}): keys are made and kept in the page; the server`);
  console.log('stores signed envelopes and answers sums, means, histograms and sums per category on ciphertexts.');
  console.log('Ctrl-C stops it. `npm run demo -- --walkthrough`: the terminal walkthrough; `-- --check`: the browser scenario, headless.');
  const code = await server.exited;
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  clearInterval(watch);
  if (signal === 'SIGINT') return 130;
  return signal ? 0 : code;
}

/** Where the Chromium used by `--check` is (`NQC_CHROMIUM` or Debian's `/usr/bin/chromium`). */
export const chromiumPath = (): string => process.env['NQC_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * `npm run demo -- --check`: the server on a free port with a temporary data directory, the browser
 * tests (`apps/cloud/test-browser/run.mjs`: both scenarios, a screenshot, no console error) against
 * it, then the server stopped and the directory removed.
 * @returns 0 if every browser test passed, 1 otherwise (also when Chromium is missing)
 */
export async function check(): Promise<number> {
  const chromium = chromiumPath();
  if (!existsSync(chromium)) {
    console.error(`nqc demo --check: no Chromium at ${chromium}.`);
    console.error('Install Debian\'s package (apt-get install -y chromium), or point NQC_CHROMIUM at a Chromium or Chrome binary. Nothing is downloaded.');
    return 1;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'nqc-demo-check-'));
  let server: CloudServer | undefined;
  try {
    server = await startCloud({ env: { PORT: '0', HOST: '127.0.0.1', NQC_DATA_DIR: dataDir, NQC_CHANNEL_KEYS: join(dataDir, 'channel-keys.txt') }, output: 'quiet' });
    console.log(`nqc demo --check: server at ${server.url} (data in ${dataDir}); running the browser scenarios in ${chromium}`);
    const run = spawn(process.execPath, [join(cloudDir(), 'test-browser', 'run.mjs')], { stdio: 'inherit', env: { ...process.env, NQC_CLOUD_URL: server.url, NQC_CHROMIUM: chromium } });
    const code = await new Promise<number>((resolve) => run.once('exit', (c) => resolve(c ?? 1)));
    console.log(code === 0 ? 'nqc demo --check: passed (both scenarios, end to end, in the browser)' : 'nqc demo --check: FAILED (see above; screenshots in apps/cloud/test-results-browser/)');
    return code === 0 ? 0 : 1;
  } catch (e) {
    console.error(`nqc demo --check: ${(e as Error).message}`);
    return 1;
  } finally {
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}
