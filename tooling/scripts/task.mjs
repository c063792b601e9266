#!/usr/bin/env node
// The README's entry points: `npm run demo` and `npm test` on a machine that has only Node 20 and npm.
// Finds pnpm (or fetches the pinned version through npx), installs the workspace from the frozen
// lockfile when needed, then runs the task through turbo.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultDirs, summarize } from './test-summary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PNPM_VERSION = '10.34.9';
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`nqc needs Node.js >= 20.19 (this is ${process.versions.node})`);
  process.exit(1);
}

// onnxruntime-node's postinstall downloads CUDA binaries from outside the npm registry and fails
// offline; the CPU binaries are inside its tarball. pnpm 10 does not run it anyway (it is not in
// onlyBuiltDependencies); this covers npm and other clients.
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', TURBO_TELEMETRY_DISABLED: '1' };

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', env });
  if (probe.status === 0 && probe.stdout.trim().startsWith('10.')) return ['pnpm'];
  return ['npx', '--yes', `pnpm@${PNPM_VERSION}`];
}

function pnpm(...args) {
  const [cmd, ...pre] = pnpmCommand();
  return run(cmd, [...pre, ...args]);
}

function ensureInstalled() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  const lock = join(root, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  const status = pnpm('install', '--frozen-lockfile');
  if (status !== 0) process.exit(status);
}

const task = process.argv[2];
ensureInstalled();
switch (task) {
  case 'install':
    break;
  case 'demo': {
    // `npm run demo`: the cloud server until Ctrl-C (exit 130; 0 after SIGTERM); `-- --walkthrough`:
    // the terminal story; `-- --check`: the browser scenarios headless against a fresh server (0/1).
    // apps/demo depends on apps/cloud, so this builds the server and its page too.
    const built = pnpm('exec', 'turbo', 'run', 'build', '--filter=@nqc/demo...', '--output-logs=errors-only');
    if (built !== 0) process.exit(built);
    const child = spawn(process.execPath, [join(root, 'apps', 'demo', 'dist', 'main.js'), ...process.argv.slice(3)], { cwd: root, stdio: 'inherit', env });
    // A terminal's Ctrl-C reaches the child too; a signal sent to this process alone is passed on.
    for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
    // `npm run` runs this under `sh -c`, which dies on a SIGTERM sent to npm without passing it on:
    // when this process is orphaned, stop the server as if it had been sent SIGTERM.
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && child.kill('SIGTERM'), 1000).unref();
    child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
    break;
  }
  case 'test':
  case 'test:exhaustive': {
    // Bounded to the machine: turbo runs at most `concurrency` packages at once (its default is 10)
    // and each jest gets `workers` workers (tooling/jest-preset reads NQC_TEST_WORKERS), so
    // packages x workers <= cores. On 2 cores: 2 packages, 1 worker each.
    const cores = availableParallelism();
    const concurrency = Math.max(1, Math.min(cores, 4));
    env.NQC_TEST_WORKERS ??= String(Math.max(1, Math.floor(cores / concurrency)));
    if (task === 'test:exhaustive') env.NQC_TEST_TIER = 'exhaustive';
    // Stale results from earlier runs must not count (turbo restores cached ones itself).
    for (const { dir } of resultDirs(root)) rmSync(dir, { recursive: true, force: true });
    const started = Date.now();
    const status = pnpm('exec', 'turbo', 'run', 'test', '--continue', `--concurrency=${concurrency}`, ...process.argv.slice(3));
    const { passed, failed, skipped, seconds } = summarize(root);
    const times = Object.entries(seconds).sort((a, b) => b[1] - a[1]).map(([p, t]) => `${p.replace(/^\w+\//, '')} ${t}s`);
    console.log(`\ntest time per package (jest wall time): ${times.join(', ')}`);
    console.log(`${env.NQC_TEST_TIER ?? 'default'} tier, ${Math.round((Date.now() - started) / 1000)} s on ${cores} cores (at most ${concurrency} packages at once, jest workers per package: ${env.NQC_TEST_WORKERS})`);
    console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
    process.exit(status !== 0 ? status : failed > 0 ? 1 : 0);
  }
  default:
    console.error('usage: node tooling/scripts/task.mjs install|demo|test|test:exhaustive');
    process.exit(2);
}
