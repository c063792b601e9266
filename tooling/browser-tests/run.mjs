#!/usr/bin/env node
// The browser tier (not part of `npm test`). Needs Debian's Chromium (`apt-get install -y chromium`,
// /usr/bin/chromium; NQC_CHROMIUM overrides), `pnpm install` and the packages and CLI built
// (`pnpm exec turbo run build --filter=@nqc/browser-tests... --filter=@nqc/cli...`). Installs nothing.
// Writes test-results/summary.json (counted by tooling/scripts/test-summary.mjs) and timings.json,
// and prints `browser: N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM } from './harness.mjs';

const here = import.meta.dirname;
const results = join(here, 'test-results');
mkdirSync(results, { recursive: true });
const summaryFile = join(results, 'summary.json');
rmSync(summaryFile, { force: true });
if (!existsSync(CHROMIUM)) {
  console.error(`browser tier: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(here, '..', 'bundler-tests', 'summary-reporter.mjs')}`, `--test-reporter-destination=${summaryFile}`, join(here, 'browser.test.mjs'), join(here, 'channel.test.mjs'), join(here, 'nde-worker.test.mjs')],
  { stdio: 'inherit', cwd: here },
);
const s = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : { passed: 0, failed: 1, skipped: 0 };
console.log(`browser: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
process.exit(r.status === 0 && s.failed === 0 && s.passed > 0 ? 0 : 1);
