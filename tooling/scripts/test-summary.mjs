#!/usr/bin/env node
// Sums the test-results/summary.json files that @nqc/jest-preset's reporter writes in each package.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @param {string} root workspace root
 * @returns {{passed: number, failed: number, skipped: number, packages: string[], seconds: Record<string, number>}}
 */
export function summarize(root) {
  const total = { passed: 0, failed: 0, skipped: 0, packages: [], seconds: {} };
  for (const group of ['packages', 'apps', 'tooling']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = join(dir, name, 'test-results', 'summary.json');
      if (!existsSync(file)) continue;
      const s = JSON.parse(readFileSync(file, 'utf8'));
      total.passed += s.passed;
      total.failed += s.failed;
      total.skipped += s.skipped;
      total.packages.push(`${group}/${name}`);
      if (typeof s.seconds === 'number') total.seconds[`${group}/${name}`] = s.seconds;
    }
  }
  return total;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const { passed, failed, skipped } = summarize(root);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
}
