#!/usr/bin/env node
// Builds and packs every publishable package into one folder (default tooling/release/packs/, gitignored)
// with `pnpm pack`, which writes real versions in place of `workspace:*` and `catalog:`. Writes
// packs.json there: [{ name, version, dir, file, bytes }], dependencies first.
//
//   node tooling/release/pack.mjs [--out DIR] [--no-build] [--version]
//
// --version runs `changeset version` first: it consumes every pending changeset in .changeset/ (bumps
// the versions, writes each package's CHANGELOG.md), so use it only when cutting a release, and commit
// its result. Off by default: a plain run packs the current versions and changes no tracked file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { defaultOutDir, pnpmCommand, publishable, root } from './packages.mjs';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const outDir = outAt >= 0 ? resolve(args[outAt + 1]) : defaultOutDir;
const [pnpmBin, ...pnpmPre] = pnpmCommand();
const run = (argv, cwd = root) => execFileSync(pnpmBin, [...pnpmPre, ...argv], { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

if (args.includes('--version')) {
  console.log('changeset version (consumes the pending changesets)');
  run(['exec', 'changeset', 'version']);
}
const pkgs = publishable();
if (!args.includes('--no-build')) {
  const t0 = Date.now();
  execFileSync(pnpmBin, [...pnpmPre, 'exec', 'turbo', 'run', 'build', ...pkgs.map((p) => `--filter=${p.name}`), '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' });
  console.log(`built ${pkgs.length} packages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const packs = [];
for (const p of pkgs) {
  const before = new Set(readdirSync(outDir));
  run(['pack', '--pack-destination', outDir], p.dir);
  const file = readdirSync(outDir).find((f) => f.endsWith('.tgz') && !before.has(f));
  if (!file) throw new Error(`pnpm pack wrote no tarball for ${p.name}`);
  const bytes = statSync(join(outDir, file)).size;
  packs.push({ name: p.name, version: p.version, dir: relative(root, p.dir), file, bytes });
  console.log(`${file.padEnd(28)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB`);
}
writeFileSync(join(outDir, 'packs.json'), JSON.stringify(packs, null, 2) + '\n');
console.log(`${packs.length} tarballs in ${outDir}`);
