// esbuild, Vite and webpack, each in its DEFAULT configuration (only entry and output directory
// given), build a page that imports @nqc/core with HE. Any error, or any warning that a Node
// built-in was stubbed for the browser, fails the test. Sizes are written to test-results/sizes.json.
// Needs the packages built (`pnpm exec turbo run build --filter=@nqc/core...`): bundlers read dist/.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { kb, sizeOf, splitInitial } from './sizes.mjs';

const here = import.meta.dirname;
const page = join(here, 'page');
const out = join(here, 'dist');
const sizes = {};
const TIMEOUT = 600_000; // webpack minifies 1.5 MB of SEAL glue with terser: minutes on a busy machine

rmSync(out, { recursive: true, force: true });
mkdirSync(join(here, 'test-results'), { recursive: true });
after(() => writeFileSync(join(here, 'test-results', 'sizes.json'), JSON.stringify(sizes, null, 2) + '\n'));

const jsFiles = (dir) => readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.js')).map((f) => join(dir, String(f)));
const builtinWarning = /externalized for browser|Could not resolve "(url|fs|path|crypto|worker_threads|node:)|Can't resolve '(url|fs|path|node:)/;

describe('default configurations build a page importing @nqc/core with HE', () => {
  test('esbuild (bundle: true, nothing else)', { timeout: TIMEOUT }, async () => {
    const esbuild = await import('esbuild');
    const r = await esbuild.build({ entryPoints: [join(page, 'index.js')], bundle: true, outdir: join(out, 'esbuild'), logLevel: 'silent' });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings.map((w) => w.text), []);
  });

  test('Vite (vite build, no config file)', { timeout: TIMEOUT }, async () => {
    const { build, createLogger } = await import('vite');
    const logger = createLogger('warn');
    const warnings = [];
    const warn = (msg) => warnings.push(String(msg));
    const res = await build({ root: page, configFile: false, logLevel: 'warn', customLogger: { ...logger, warn, warnOnce: warn }, build: { outDir: join(out, 'vite'), emptyOutDir: true } });
    assert.ok(res, 'vite returned no output');
    assert.deepEqual(warnings.filter((w) => builtinWarning.test(w)), []);
    sizes.vite = { withHe: sizeOf(jsFiles(join(out, 'vite'))) };
  });

  test('webpack 5 (mode production, entry and output path only)', { timeout: TIMEOUT }, async () => {
    const { default: webpack } = await import('webpack');
    const stats = await new Promise((resolve, reject) =>
      webpack({ mode: 'production', context: page, entry: './index.js', output: { path: join(out, 'webpack') } }, (err, s) => (err ? reject(err) : resolve(s))),
    );
    const info = stats.toJson({ all: false, errors: true, warnings: true });
    assert.deepEqual(info.errors.map((e) => e.message), []);
    // webpack's only default warnings should be its performance hints (SEAL's chunk is > 244 KiB)
    const other = info.warnings.map((w) => w.message).filter((m) => !/exceed the recommended size limit|performance|can impact web performance/i.test(m));
    assert.deepEqual(other, []);
    sizes.webpack = { withHe: sizeOf(jsFiles(join(out, 'webpack'))) };
  });
});

describe('bundle sizes (esbuild, minified, ESM with code splitting)', () => {
  const build = async (entry, dir) => {
    const esbuild = await import('esbuild');
    const r = await esbuild.build({
      entryPoints: [join(page, entry)], bundle: true, minify: true, format: 'esm', splitting: true,
      outdir: join(out, dir), metafile: true, logLevel: 'silent',
    });
    const entryOut = Object.keys(r.metafile.outputs).find((o) => r.metafile.outputs[o].entryPoint);
    return splitInitial(r.metafile, entryOut);
  };

  test('@nqc/core without HE is at most 90 KB gzipped (the budget)', { timeout: TIMEOUT }, async () => {
    const { initial, lazy } = await build('no-he.js', 'sizes-no-he');
    const core = sizeOf(initial);
    sizes.esbuild = { coreWithoutHe: core, heLazyChunks: sizeOf(lazy) };
    console.log(`@nqc/core without HE: ${kb(core.min)} min, ${kb(core.gzip)} gzip; lazy HE chunk(s): ${kb(sizes.esbuild.heLazyChunks.min)} min, ${kb(sizes.esbuild.heLazyChunks.gzip)} gzip`);
    assert.ok(lazy.length > 0, 'the HE code must be a lazy chunk');
    assert.ok(core.gzip <= 90_000, `over budget by ${core.gzip - 90_000} bytes gzipped`);
  });

  test('with HE: everything the page can load', { timeout: TIMEOUT }, async () => {
    const { initial, lazy } = await build('index.js', 'sizes-he');
    sizes.esbuild.withHe = sizeOf([...initial, ...lazy]);
    console.log(`@nqc/core with HE: ${kb(sizes.esbuild.withHe.min)} min, ${kb(sizes.esbuild.withHe.gzip)} gzip`);
    assert.ok(sizes.esbuild.withHe.gzip > sizes.esbuild.coreWithoutHe.gzip);
  });
});
