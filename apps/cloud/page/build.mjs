// Builds the browser page into dist/page/ with esbuild: app.js and he.worker.js (ESM bundles) and
// the static files. `node page/build.mjs`; the server serves dist/page/.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const here = import.meta.dirname;
const out = join(here, '..', 'dist', 'page');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, 'app.js'), join(here, 'he.worker.js')],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  outdir: out,
  logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) copyFileSync(join(here, f), join(out, f));
console.log(`page built in ${out}`);
