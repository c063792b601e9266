// Test-results for the release tiers. Each tier (install, packages) writes test-results/<tier>.json in
// the shape of @nqc/jest-preset's counting reporter ({ passed, failed, skipped, suites }); summary.json,
// which tooling/scripts/test-summary.mjs adds to the CI line, is the sum of the tiers present.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
export const resultsDir = join(here, 'test-results');
const reporter = join(here, '..', 'bundler-tests', 'summary-reporter.mjs');

/**
 * Runs a node:test file as the tier `tier`, records its counts, rewrites summary.json.
 * @param {string} tier e.g. 'install'
 * @param {string} testFile absolute path
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ passed: number, failed: number, skipped: number, suites: number, status: number | null }}
 */
export function runTier(tier, testFile, env = process.env) {
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, `${tier}.json`);
  const r = spawnSync(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout',
      `--test-reporter=${reporter}`, `--test-reporter-destination=${out}`, testFile],
    { stdio: 'inherit', cwd: here, env },
  );
  return record(tier, r.status, out);
}

/**
 * Records a tier that could not run (e.g. packing failed) as one failure.
 * @param {string} tier
 */
export function recordFailure(tier) {
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, `${tier}.json`);
  writeFileSync(out, JSON.stringify({ passed: 0, failed: 1, skipped: 0, suites: 0 }) + '\n');
  return record(tier, 1, out);
}

function record(tier, status, out) {
  const r = { status };
  const s = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { passed: 0, failed: 1, skipped: 0, suites: 0 };
  if (r.status !== 0 && s.failed === 0) s.failed = 1; // a file that did not load or a hook that failed
  writeFileSync(out, JSON.stringify(s, null, 2) + '\n');
  const total = { passed: 0, failed: 0, skipped: 0, suites: 0 };
  for (const f of readdirSync(resultsDir)) {
    if (!f.endsWith('.json') || f === 'summary.json') continue;
    const t = JSON.parse(readFileSync(join(resultsDir, f), 'utf8'));
    for (const k of Object.keys(total)) total[k] += t[k] ?? 0;
  }
  writeFileSync(join(resultsDir, 'summary.json'), JSON.stringify(total, null, 2) + '\n');
  console.log(`${tier}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
  return { ...s, status: r.status };
}
