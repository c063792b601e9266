#!/usr/bin/env node
// The bundler tier: runs bundlers.test.mjs with node:test, writes test-results/summary.json (counted by
// tooling/scripts/test-summary.mjs) and prints `N passed, N failed, N skipped`. Installs nothing;
// needs `pnpm install` and the packages built (`pnpm exec turbo run build --filter=@nqc/core...`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const results = join(here, 'test-results');
mkdirSync(results, { recursive: true });
const summaryFile = join(results, 'summary.json');
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(here, 'summary-reporter.mjs')}`, `--test-reporter-destination=${summaryFile}`, join(here, 'bundlers.test.mjs')],
  { stdio: 'inherit', cwd: here },
);
const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
console.log(`bundlers: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
process.exit(r.status === 0 && s.failed === 0 && s.passed > 0 ? 0 : 1);
