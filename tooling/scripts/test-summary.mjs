#!/usr/bin/env node
// Sums the test-results/summary.json files that @nqc/jest-preset's reporter (and each test tier) writes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every results folder of the workspace: `test-results` (jest's reporter, most tiers) and any
 * `test-results-<tier>` beside it (tiers that run in a package that also has jest tests, such as
 * apps/cloud's browser tier), in each folder of packages/, apps/ and tooling/.
 * @param {string} root workspace root
 * @returns {{ dir: string, label: string }[]}
 */
export function resultDirs(root) {
  const out = [];
  for (const group of ['packages', 'apps', 'tooling']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const pkg = join(dir, name);
      let entries;
      try {
        entries = readdirSync(pkg, { withFileTypes: true });
      } catch {
        continue; // not a folder
      }
      for (const e of entries) {
        if (e.isDirectory() && /^test-results(-[a-z0-9-]+)?$/.test(e.name)) {
          out.push({ dir: join(pkg, e.name), label: `${group}/${name}${e.name.slice('test-results'.length)}` });
        }
      }
    }
  }
  return out;
}

/**
 * Sums the summary.json of every results folder ({@link resultDirs}).
 * @param {string} root workspace root
 * @returns {{passed: number, failed: number, skipped: number, packages: string[], seconds: Record<string, number>}}
 */
export function summarize(root) {
  const total = { passed: 0, failed: 0, skipped: 0, packages: [], seconds: {} };
  for (const { dir, label } of resultDirs(root)) {
    const file = join(dir, 'summary.json');
    if (!existsSync(file)) continue;
    const s = JSON.parse(readFileSync(file, 'utf8'));
    total.passed += s.passed;
    total.failed += s.failed;
    total.skipped += s.skipped;
    total.packages.push(label);
    if (typeof s.seconds === 'number') total.seconds[label] = s.seconds;
  }
  return total;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const { passed, failed, skipped } = summarize(root);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
}
