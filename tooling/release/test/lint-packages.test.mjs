// Every packed tarball is clean for publint (strict) and arethetypeswrong (ESM-only profile: node10 and
// require() from CommonJS are not supported resolutions for these ESM-only packages).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { defaultOutDir, readPacks } from '../packages.mjs';

const exec = promisify(execFile);
const bin = (name) => join(import.meta.dirname, '..', 'node_modules', '.bin', name);

/** Runs a CLI, resolves with { code, out } whatever its exit code. */
async function run(cmd, args) {
  try {
    const { stdout, stderr } = await exec(cmd, args, { timeout: 300_000, maxBuffer: 1 << 26 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

const packs = readPacks();

describe('packed tarballs', () => {
  it('there are tarballs to lint', () => assert.ok(packs.length >= 7, `${packs.length} tarballs`));

  for (const p of packs) {
    const tarball = join(defaultOutDir, p.file);
    it(`${p.name}: publint --strict is clean`, async () => {
      const { code, out } = await run(bin('publint'), ['run', '--strict', '--pack', 'false', tarball]);
      assert.equal(code, 0, out);
      assert.match(out, /All good!/, out);
    }, { timeout: 300_000 });

    it(`${p.name}: attw --profile esm-only is clean`, async () => {
      const { code, out } = await run(bin('attw'), ['--profile', 'esm-only', '--format', 'ascii', tarball]);
      assert.equal(code, 0, out);
    }, { timeout: 300_000 });
  }
});
