#!/usr/bin/env node
// The install tier: packs every publishable package (pack.mjs, which builds through turbo's cache; --no-pack
// reuses tooling/release/packs/), then runs test/install.test.mjs: `npm install -g --prefix <tmp>` of the
// CLI's tarball with its @nqc sibling tarballs (only the npm registry needed; the @nqc scope is pointed at an
// unreachable registry so nothing of ours can come from the network), and the installed `nqc` does a
// keygen / encrypt / decrypt round trip. Also checks the root README's npm form of the quick start.
// Writes test-results/install.json and summary.json; exit 0 only if everything passed.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { recordFailure, runTier } from './summary.mjs';

const here = import.meta.dirname;
try {
  if (!process.argv.includes('--no-pack')) execFileSync(process.execPath, [join(here, 'pack.mjs')], { stdio: 'inherit' });
} catch {
  recordFailure('install');
  process.exit(1);
}
const s = runTier('install', join(here, 'test', 'install.test.mjs'), { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' });
process.exit(s.status === 0 && s.failed === 0 && s.passed > 0 ? 0 : 1);
