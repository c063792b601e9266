#!/usr/bin/env node
// The packages tier: packs every publishable package (pack.mjs; --no-pack reuses tooling/release/packs/),
// then runs publint (--strict: warnings fail too) and @arethetypeswrong/cli --profile esm-only on each
// tarball (test/lint-packages.test.mjs). Writes test-results/packages.json and summary.json.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { recordFailure, runTier } from './summary.mjs';

const here = import.meta.dirname;
try {
  if (!process.argv.includes('--no-pack')) execFileSync(process.execPath, [join(here, 'pack.mjs')], { stdio: 'inherit' });
} catch {
  recordFailure('packages');
  process.exit(1);
}
const s = runTier('packages', join(here, 'test', 'lint-packages.test.mjs'));
process.exit(s.status === 0 && s.failed === 0 && s.passed > 0 ? 0 : 1);
