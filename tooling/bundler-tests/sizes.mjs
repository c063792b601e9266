// Bundle size accounting: minified bytes and gzip (level 9) of a set of output files.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/**
 * @param {string[]} files output files
 * @returns {{ min: number, gzip: number }} bytes
 */
export function sizeOf(files) {
  let min = 0;
  let gzip = 0;
  for (const f of files) {
    const b = readFileSync(f);
    min += b.length;
    gzip += gzipSync(b, { level: 9 }).length;
  }
  return { min, gzip };
}

/** @param {number} n bytes @returns {string} KB with one decimal (1 KB = 1000 bytes) */
export const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

/**
 * From an esbuild metafile: the entry chunk and every chunk it imports statically (what a page
 * loads before any lazy `import()`), and the rest (lazy chunks).
 * @param {import('esbuild').Metafile} meta
 * @param {string} entryOut the entry's output path (a key of meta.outputs)
 * @returns {{ initial: string[], lazy: string[] }}
 */
export function splitInitial(meta, entryOut) {
  const initial = new Set();
  const visit = (out) => {
    if (initial.has(out)) return;
    initial.add(out);
    for (const imp of meta.outputs[out].imports) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  visit(entryOut);
  const js = Object.keys(meta.outputs).filter((o) => o.endsWith('.js'));
  return { initial: js.filter((o) => initial.has(o)), lazy: js.filter((o) => !initial.has(o)) };
}
