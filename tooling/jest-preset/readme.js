// README doc tests: every ```ts / ```js block of a README runs exactly as written.
//
// A block runs on its own, as an ES module, through the package's jest transform (TypeScript via
// swc, workspace packages from their sources). Two markers, each an HTML comment on the line right
// before the fence (invisible on GitHub and npm):
//   <!-- doc-test: continues -->     the block runs after the previous block's code, as one module
//   <!-- doc-test: skip: <reason> --> the block is not run (the reason is required and reported)
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNNABLE = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'mts']);
const MARKER = /^<!--\s*doc-test:\s*(continues|skip:\s*(.+?))\s*-->\s*$/;

/**
 * The runnable examples of a Markdown file: its ```ts / ```js fenced blocks, in order.
 * @param {string | URL} path the README
 * @returns {Promise<import('./readme.d.ts').ReadmeExample[]>}
 */
export async function readmeExamples(path) {
  const lines = (await readFile(path, 'utf8')).split('\n');
  /** @type {import('./readme.d.ts').ReadmeExample[]} */
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (end === lines.length) throw new Error(`${path}:${start + 1}: unclosed code fence`);
    i = end;
    if (!RUNNABLE.has(open[1].toLowerCase())) continue;
    const marker = MARKER.exec(lines[start - 1] ?? '');
    const own = lines.slice(start + 1, end).join('\n') + '\n';
    const continues = marker?.[1] === 'continues';
    if (continues && out.length === 0) throw new Error(`${path}:${start + 1}: "continues" with no block before it`);
    out.push({
      line: start + 1,
      lang: open[1],
      code: continues ? out[out.length - 1].code + own : own,
      own,
      skip: marker?.[2],
      continues,
    });
  }
  return out;
}

/**
 * Runs one example as an ES module through jest's ESM loader: the code is written verbatim to a
 * temporary file beside the test (so bare imports resolve from the package) and imported. The
 * working directory is a fresh temporary folder holding `files`, removed afterwards.
 * @param {import('./readme.d.ts').ReadmeExample} example
 * @param {{ testUrl: string, files?: Record<string, string | Uint8Array> }} options
 * @returns {Promise<void>}
 */
export async function runReadmeExample(example, { testUrl, files = {} }) {
  const ext = /^(js|javascript|mjs)$/i.test(example.lang) ? 'mjs' : 'ts';
  const file = join(dirname(fileURLToPath(testUrl)), `.readme-${example.line}-${process.pid}.${ext}`);
  const cwd = await mkdtemp(join(tmpdir(), 'nqc-readme-'));
  const before = process.cwd();
  try {
    for (const [name, data] of Object.entries(files)) await writeFile(join(cwd, name), data);
    await writeFile(file, example.code);
    process.chdir(cwd);
    await import(pathToFileURL(file).href);
  } finally {
    process.chdir(before);
    await rm(file, { force: true });
    await rm(cwd, { recursive: true, force: true });
  }
}
