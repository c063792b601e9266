// `npm install -g` of the packed CLI with its sibling tarballs, then the installed command works.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { defaultOutDir, publishable, readPacks, root } from '../packages.mjs';

const exec = promisify(execFile);
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', NO_COLOR: '1' };

/** The CLI and the @nqc packages it needs, transitively (workspace manifests), as packed. */
function cliClosure(packs) {
  const all = publishable(), need = new Set(['@nqc/cli']), stack = ['@nqc/cli'];
  while (stack.length) {
    const name = stack.pop();
    for (const d of all.find((p) => p.name === name).deps) if (!need.has(d)) { need.add(d); stack.push(d); }
  }
  const found = packs.filter((p) => need.has(p.name));
  assert.equal(found.length, need.size, `tarballs missing for ${[...need].join(', ')}`);
  return found;
}

describe('npm install -g of the packed CLI', () => {
  const work = mkdtempSync(join(tmpdir(), 'nqc-install-'));
  const prefix = join(work, 'prefix');
  const nqc = join(prefix, 'bin', 'nqc');
  let installSeconds = 0;
  let tarballs = [];

  before(async () => {
    const packs = readPacks();
    tarballs = cliClosure(packs);
    const t0 = performance.now();
    await exec('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--fetch-retries=0',
      '--@nqc:registry=http://127.0.0.1:9/', ...tarballs.map((p) => join(defaultOutDir, p.file))], { env, timeout: 900_000, maxBuffer: 1 << 24 });
    installSeconds = (performance.now() - t0) / 1000;
    console.log(`installed ${tarballs.map((p) => p.file).join(' ')} in ${installSeconds.toFixed(1)} s`);
  }, { timeout: 960_000 });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('installs the nqc command and every @nqc package from the tarballs (none from a registry)', () => {
    assert.ok(existsSync(nqc), `${nqc} missing`);
    const ours = readdirSync(join(prefix, 'lib', 'node_modules', '@nqc')).sort();
    assert.deepEqual(ours, tarballs.map((p) => p.name.slice(5)).sort());
    for (const p of tarballs) {
      const m = JSON.parse(readFileSync(join(prefix, 'lib', 'node_modules', p.name, 'package.json'), 'utf8'));
      assert.equal(m.version, p.version, p.name);
      for (const [dep, range] of Object.entries(m.dependencies ?? {})) assert.doesNotMatch(range, /^(workspace|catalog):/, `${p.name} -> ${dep}`);
    }
  });

  it('nqc --version prints the packed version', async () => {
    const { stdout } = await exec(nqc, ['--version'], { env, timeout: 60_000 });
    assert.equal(stdout.trim(), tarballs.find((p) => p.name === '@nqc/cli').version);
  });

  it('keygen, encrypt (signed, armored), decrypt --verify: the round trip gives the same bytes', async () => {
    const key = join(work, 'me.key'), pub = join(work, 'me.pub'), input = join(work, 'data.bin');
    const env1 = join(work, 'data.nqc'), back = join(work, 'back.bin');
    writeFileSync(input, randomBytes(300_000));
    await exec(nqc, ['keygen', '-o', key], { env, timeout: 120_000 });
    const { stdout } = await exec(nqc, ['keygen', '-y', key], { env, timeout: 120_000 });
    writeFileSync(pub, stdout);
    await exec(nqc, ['encrypt', '-a', '-R', pub, '-s', key, '-o', env1, input], { env, timeout: 300_000 });
    assert.match(readFileSync(env1, 'utf8'), /^-----BEGIN NQC ENVELOPE-----/);
    await exec(nqc, ['decrypt', '-i', key, '--verify', pub, '-o', back, env1], { env, timeout: 300_000 });
    assert.deepEqual(readFileSync(back), readFileSync(input));
  }, { timeout: 900_000 });
});

describe("the root README's quick start with npm only", () => {
  const work = mkdtempSync(join(tmpdir(), 'nqc-quickstart-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('`npm run --silent nqc -- keygen -y me.key > me.pub` writes only the keys (no npm banner)', async () => {
    const key = join(work, 'me.key');
    await exec('npm', ['run', '--silent', 'nqc', '--', 'keygen', '-o', key], { cwd: root, env, timeout: 120_000 });
    const { stdout } = await exec('npm', ['run', '--silent', 'nqc', '--', 'keygen', '-y', key], { cwd: root, env, timeout: 120_000 });
    const lines = stdout.trimEnd().split('\n');
    assert.ok(lines.length >= 1 && lines.every((l) => /^(nqc-[a-z0-9-]+1[02-9ac-hj-np-z]+|#.*)$/.test(l)), `not clean:\n${stdout.slice(0, 400)}`);
    assert.match(lines[0], /^nqc-xwing-1/);
    writeFileSync(join(work, 'me.pub'), stdout);
    const { stdout: plain } = await exec('sh', ['-c', `echo hello | npm run --silent nqc -- encrypt -a -R ${join(work, 'me.pub')} | npm run --silent nqc -- decrypt -i ${key}`], { cwd: root, env, timeout: 300_000 });
    assert.equal(plain, 'hello\n');
  }, { timeout: 600_000 });

  it('without --silent, npm writes its banner into stdout (why the README says --silent)', async () => {
    const { stdout } = await exec('npm', ['run', 'nqc', '--', '--version'], { cwd: root, env, timeout: 120_000 });
    assert.match(stdout, /^> /m);
  }, { timeout: 180_000 });
});
