// The publishable workspace packages (not private, in packages/ and apps/) and the packed tarballs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const root = join(import.meta.dirname, '..', '..');

/** Where `pack.mjs` writes the tarballs and `packs.json` by default (gitignored). */
export const defaultOutDir = join(import.meta.dirname, 'packs');

/**
 * Publishable workspace packages, dependencies first.
 * @returns {{ name: string, version: string, dir: string, deps: string[] }[]}
 */
export function publishable() {
  const found = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const file = join(root, group, name, 'package.json');
      if (!existsSync(file)) continue;
      const m = JSON.parse(readFileSync(file, 'utf8'));
      if (m.private) continue;
      const deps = Object.keys({ ...m.dependencies, ...m.optionalDependencies, ...m.peerDependencies }).filter((d) => d.startsWith('@nqc/'));
      found.push({ name: m.name, version: m.version, dir: join(root, group, name), deps });
    }
  }
  const ordered = [], seen = new Set();
  const visit = (p) => {
    if (seen.has(p.name)) return;
    seen.add(p.name);
    for (const d of p.deps) { const q = found.find((f) => f.name === d); if (q) visit(q); }
    ordered.push(p);
  };
  for (const p of found) visit(p);
  return ordered;
}

/**
 * The tarballs a `pack.mjs` run wrote (its `packs.json`).
 * @param {string} [outDir]
 * @returns {{ name: string, version: string, dir: string, file: string, bytes: number }[]}
 */
export function readPacks(outDir = defaultOutDir) {
  const file = join(outDir, 'packs.json');
  if (!existsSync(file)) throw new Error(`${file} not found: run \`pnpm release:pack\` first`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * How to run pnpm: `pnpm` when a 10.x is on the PATH, else the pinned version (root `packageManager`)
 * through `npx` (an npm-only machine, as in the root README), as tooling/scripts/task.mjs does.
 * @returns {string[]} command and leading arguments
 */
export function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim().startsWith('10.')) return ['pnpm'];
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
  return ['npx', '--yes', pinned];
}
