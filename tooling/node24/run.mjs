#!/usr/bin/env node
// The Node 24 tier (not part of `npm test`): runs the packages' jest suites under Node 24 (the current
// LTS) from the npm registry's `node@24` package, with `node` on PATH pointing at it so that tests
// spawning `node` get 24 too. Installs nothing; the binary comes from
//   npm install --prefix tooling/node24/.runtime --no-save --no-audit --no-fund node@24
// (or NQC_NODE24=/path/to/node). Counts go to this folder's test-results/summary.json (jest's JSON per
// package beside it); the packages' own test-results (the Node 20 run) are left alone.
// Usage: node tooling/node24/run.mjs [--only pql,container,core]   (default: every package with a jest suite)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const here = import.meta.dirname;
const root = join(here, '..', '..');
const node = process.env.NQC_NODE24 ?? join(here, '.runtime', 'node_modules', '.bin', 'node');
const results = join(here, 'test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

if (!existsSync(node)) {
  console.error(`node24 tier: no Node 24 at ${node}\n  npm install --prefix tooling/node24/.runtime --no-save --no-audit --no-fund node@24`);
  process.exit(1);
}
const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!/^v24\./.test(version)) {
  console.error(`node24 tier: ${node} is ${version || 'not runnable'}, not Node 24`);
  process.exit(1);
}

/** Workspace folders whose `test` script runs nqc-jest. */
function suites() {
  const out = [];
  for (const group of ['packages', 'apps', 'tooling']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const pkg = join(dir, name, 'package.json');
      if (!existsSync(pkg)) continue;
      const test = JSON.parse(readFileSync(pkg, 'utf8')).scripts?.test ?? '';
      if (/\bnqc-jest\b/.test(test)) out.push({ name, dir: join(dir, name) });
    }
  }
  return out;
}

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : undefined;
// apps/cloud is left out by default: better-sqlite3 is a native addon built by the install for the
// install's Node ABI (Node 20 here: NODE_MODULE_VERSION 115; Node 24 needs 137), so under Node 24 it
// cannot load without `npm rebuild better-sqlite3` run by Node 24. apps/demo is left out for the same
// reason: `npm run demo` serves the cloud app, and its serve test loads the server (ERR_DLOPEN_FAILED
// under Node 24). The libraries and the CLI have no native addon of their own (onnxruntime-node ships
// Node-API binaries that load on both).
const NATIVE_ABI_APPS = new Set(['cloud', 'demo']);
const chosen = suites().filter((s) => (only ? only.has(s.name) : !NATIVE_ABI_APPS.has(s.name)));
const jest = join(root, 'tooling', 'jest-preset', 'bin', 'nqc-jest.js');
// NODE_PATH as pnpm's bin shims set it (jest finds @swc/jest through pnpm's hidden hoisting folder).
const nodePath = [join(root, 'node_modules', '.pnpm', 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(delimiter);
const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}`, NODE_PATH: nodePath, NODE_OPTIONS: '' };
const total = { passed: 0, failed: 0, skipped: 0, suites: 0 };
const perPackage = {};
console.log(`node24 tier: ${version}, suites: ${chosen.map((s) => s.name).join(', ')}`);

for (const s of chosen) {
  const json = join(results, `${s.name}.json`);
  const t0 = Date.now();
  // --reporters=default replaces the preset's counting reporter: the Node 20 counts stay as they are.
  // --forceExit: a failing test that leaves a worker thread open must not hang the tier after jest
  // wrote its results (open handles are the default Node 20 suite's to report); 30 min cap per package.
  spawnSync(node, [jest, '--maxWorkers=1', '--forceExit', '--reporters=default', '--json', `--outputFile=${json}`], {
    cwd: s.dir, env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 30 * 60_000, killSignal: 'SIGKILL',
  });
  const r = existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : undefined;
  const c = r
    ? { passed: r.numPassedTests, failed: r.numFailedTests + r.numRuntimeErrorTestSuites, skipped: r.numPendingTests + r.numTodoTests, suites: r.numTotalTestSuites }
    : { passed: 0, failed: 1, skipped: 0, suites: 0 }; // jest did not even start: count it as a failure
  perPackage[s.name] = { ...c, seconds: Math.round((Date.now() - t0) / 1000) };
  for (const k of Object.keys(total)) total[k] += c[k];
  console.log(`node24 ${s.name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped (${perPackage[s.name].seconds} s)`);
}

writeFileSync(join(results, 'summary.json'), JSON.stringify(total, null, 2) + '\n');
writeFileSync(join(results, 'packages.json'), JSON.stringify({ node: version, packages: perPackage }, null, 2) + '\n');
console.log(`node24: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed === 0 && total.passed > 0 ? 0 : 1);
