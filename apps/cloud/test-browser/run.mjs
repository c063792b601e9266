#!/usr/bin/env node
// The cloud app's browser test (not part of `npm test`). Needs Debian's Chromium (/usr/bin/chromium;
// NQC_CHROMIUM overrides) and the app built (`pnpm exec turbo run build --filter=@nqc/cloud...`). With
// NQC_CLOUD_URL the tests use that running server instead of starting one (`npm run demo -- --check`).
// Writes test-results-browser/summary.json, cloud.png and timings.json; prints `cloud browser: N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const results = join(here, '..', 'test-results-browser');
mkdirSync(results, { recursive: true });
const summaryFile = join(results, 'summary.json');
rmSync(summaryFile, { force: true });
const reporter = join(here, '..', '..', '..', 'tooling', 'bundler-tests', 'summary-reporter.mjs');
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${reporter}`, `--test-reporter-destination=${summaryFile}`, join(here, 'cloud.test.mjs')],
  { stdio: 'inherit', cwd: here },
);
const s = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : { passed: 0, failed: 1, skipped: 0 };
console.log(`cloud browser: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
process.exit(r.status === 0 && s.failed === 0 && s.passed > 0 ? 0 : 1);
