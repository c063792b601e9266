// The browser tier: @nqc/core bundled by esbuild and run in Chromium (headless, Debian's package),
// with interop against Node (@nqc/core/node, @nqc/she) and the CLI (apps/cli/bin/nqc.js) both ways.
// Timings go to test-results/timings.json (recorded, never asserted: the machine is shared).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { aggregate, closeNde, decrypt, decryptAggregate, encrypt, generateIdentity } from '@nqc/core/node';
import { defineSchema, HeClient, HeEvaluator, HeKeySet } from '@nqc/she';
import { buildPage, launch, open, serve } from './harness.mjs';

const here = import.meta.dirname;
const root = join(here, '..', '..');
const cli = join(root, 'apps', 'cli', 'bin', 'nqc.js');
const T = 300_000; // per test: the reference NDE backend and SEAL are slow on a busy 2-core machine
const timings = {};
const tmp = mkdtempSync(join(tmpdir(), 'nqc-browser-'));
const b64 = (b) => Buffer.from(b).toString('base64');
const unb64 = (s) => new Uint8Array(Buffer.from(s, 'base64'));

let browser;
let server;
let page;
let problems;

before(async () => {
  await buildPage();
  server = await serve('127.0.0.1');
  browser = await launch();
  ({ page, problems } = await open(browser, server.url));
  timings.chromium = await browser.version();
}, { timeout: T });

after(async () => {
  await browser?.close();
  await server?.close();
  await closeNde();
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(here, 'test-results'), { recursive: true });
  writeFileSync(join(here, 'test-results', 'timings.json'), JSON.stringify(timings, null, 2) + '\n');
});

afterEach(() => {
  assert.deepEqual(problems.splice(0), [], 'the page logged errors');
});

const nqc = (args, input) => spawnSync(process.execPath, [cli, ...args], { input, cwd: tmp, encoding: 'buffer', env: { ...process.env, NODE_OPTIONS: '' } });

describe('@nqc/core in Chromium', () => {
  test('the page is a secure context on 127.0.0.1', async () => {
    assert.equal(await page.evaluate(() => globalThis.isSecureContext), true);
  });

  test('bytes round trip (1 MiB, NDE off) and armor', { timeout: T }, async () => {
    const r = await page.evaluate(async () => {
      const { core, helpers } = globalThis;
      const id = core.generateIdentity();
      const pt = helpers.bytes(1 << 20, 7);
      const t = await helpers.timed(async () => {
        const env = await core.encrypt(pt, { recipients: [id.recipient().toString()], nde: 'off' });
        return (await core.decrypt(env, { identities: [id] })).plaintext;
      });
      const armored = await core.encrypt(new TextEncoder().encode('hi'), { recipients: [id.recipient().toString()], armor: true, nde: 'off' });
      const back = new TextDecoder().decode((await core.decrypt(armored, { identities: [id] })).plaintext);
      return { same: helpers.equal(t.value, pt), ms: t.ms, armored: armored.startsWith('-----BEGIN'), back };
    });
    assert.deepEqual([r.same, r.armored, r.back], [true, true, 'hi']);
    timings.bytes1MiBNdeOffRoundTripMs = Math.round(r.ms);
  });

  test('stream round trip (4 MiB in 64 KiB pieces, NDE off)', { timeout: T }, async () => {
    const r = await page.evaluate(async () => {
      const { core, helpers } = globalThis;
      const id = core.generateIdentity();
      const pt = helpers.bytes(4 << 20, 9);
      const t = await helpers.timed(async () => {
        const env = await helpers.collect(core.encrypt(helpers.streamOf(pt), { recipients: id.recipient().toString(), nde: 'off' }));
        const d = core.decrypt(helpers.streamOf(env, 10_000), { identities: id });
        const out = await helpers.collect(d.stream);
        await d.done;
        return out;
      });
      return { same: helpers.equal(t.value, pt), ms: t.ms };
    });
    assert.equal(r.same, true);
    timings.stream4MiBNdeOffRoundTripMs = Math.round(r.ms);
  });

  test('NDE on (reference backend): 256 KiB made in the browser opens in Node, and the reverse', { timeout: T }, async () => {
    const node = generateIdentity();
    const pt = new Uint8Array(256 * 1024).map((_, i) => (i * 31) & 0xff);
    const fromNode = await encrypt(pt, { recipients: node.recipient(), nde: 'auto' });
    const r = await page.evaluate(async ({ recipient, secret, envB64, n }) => {
      const { core, helpers } = globalThis;
      const pt = new Uint8Array(n).map((_, i) => (i * 31) & 0xff);
      const t = await helpers.timed(() => core.encrypt(pt, { recipients: recipient, nde: 'auto' }));
      const opened = await core.decrypt(helpers.fromB64(envB64), { identities: secret });
      return { env: helpers.toB64(t.value), ms: t.ms, stall: t.longestStallMs, same: helpers.equal(opened.plaintext, pt), nde: opened.info.nde };
    }, { recipient: node.recipient().toString(), secret: node.toString(), envB64: b64(fromNode), n: pt.length });
    assert.equal(r.same, true);
    assert.equal(r.nde?.known, true);
    assert.deepEqual((await decrypt(unb64(r.env), { identities: node })).plaintext, pt);
    timings.nde256KiBReferenceEncryptMainThreadMs = Math.round(r.ms);
  });

  test('signatures: ML-DSA signed in the browser, required signer checked, wrong signer refused', { timeout: T }, async () => {
    const r = await page.evaluate(async () => {
      const { core } = globalThis;
      const id = core.generateIdentity();
      const signer = core.generateSigningKey();
      const other = core.generateSigningKey();
      const env = await core.encrypt(new TextEncoder().encode('signed'), { recipients: id.recipient().toString(), signer, nde: 'off' });
      const ok = await core.decrypt(env, { identities: id, requireSigner: signer.verifyingKey().toString() });
      let code = 'NO_ERROR';
      try {
        await core.decrypt(env, { identities: id, requireSigner: other.verifyingKey().toString() });
      } catch (e) {
        code = e.code;
      }
      return { signer: ok.signer?.verifyingKey === signer.verifyingKey().toString(), code };
    });
    assert.deepEqual(r, { signer: true, code: 'ERR_CORE_SIGNER_UNTRUSTED' });
  });

  test('HE records: encrypted in the browser, summed in Node (evaluation bundle only), decrypted by the owner', { timeout: T }, async () => {
    const schema = [{ path: 'amount', type: 'integer', min: 0, max: 1000 }];
    const keys = await HeKeySet.generate('bfv-n4096');
    const owner = generateIdentity();
    const amounts = [12, 500, 7];
    const r = await page.evaluate(async ({ keysB64, schema, recipient, amounts }) => {
      const { core, she, helpers } = globalThis;
      const t0 = performance.now();
      const keys = await she.HeKeySet.decode(helpers.fromB64(keysB64));
      const client = await she.HeClient.create(keys, she.defineSchema(schema));
      const envs = [];
      for (const [i, amount] of amounts.entries()) envs.push(helpers.toB64(await core.encryptRecord({ id: i, amount }, { recipients: recipient, he: client, nde: 'off' })));
      return { envs, ms: performance.now() - t0 };
    }, { keysB64: b64(await keys.encode()), schema, recipient: owner.recipient().toString(), amounts });
    const evaluator = await HeEvaluator.create(await keys.evaluationBundle());
    const total = await aggregate(r.envs.map(unb64), { op: 'sum', path: 'amount', evaluator });
    const client = await HeClient.create(keys, defineSchema(schema));
    assert.equal(decryptAggregate(total, client), 519);
    timings.he3RecordsInBrowserMs = Math.round(r.ms);
  });

  test('CLI interop: an envelope made in the browser opens with `nqc decrypt`; one made by `nqc encrypt` opens in the browser', { timeout: T }, async () => {
    assert.equal(nqc(['keygen', '-o', 'cli-id.txt']).status, 0);
    const cliRecipient = /nqc-xwing-1[0-9a-z]+/.exec(nqc(['keygen', '-y', 'cli-id.txt']).stdout.toString())[0];
    const made = await page.evaluate(async (recipient) => {
      const { core, helpers } = globalThis;
      const id = core.generateIdentity();
      const signer = core.generateSigningKey();
      const env = await core.encrypt(helpers.bytes(100_000, 3), { recipients: recipient, signer, nde: 'auto' });
      return { env: helpers.toB64(env), recipient: id.recipient().toString(), secret: id.toString(), verifier: signer.verifyingKey().toString() };
    }, cliRecipient);
    writeFileSync(join(tmp, 'from-browser.nqc'), unb64(made.env));
    const dec = nqc(['decrypt', '-i', 'cli-id.txt', '--verify', made.verifier, 'from-browser.nqc']);
    assert.equal(dec.status, 0, dec.stderr.toString());
    const expected = await page.evaluate(() => globalThis.helpers.toB64(globalThis.helpers.bytes(100_000, 3)));
    assert.equal(b64(dec.stdout), expected);

    const enc = nqc(['encrypt', '-r', made.recipient, '--armor'], Buffer.from('from the CLI'));
    assert.equal(enc.status, 0, enc.stderr.toString());
    const text = await page.evaluate(async ({ armored, secret }) => new TextDecoder().decode((await globalThis.core.decrypt(armored, { identities: secret })).plaintext), { armored: enc.stdout.toString(), secret: made.secret });
    assert.equal(text, 'from the CLI');
  });

  test('Worker: 1 MiB with NDE (reference) encrypted and decrypted in a module Worker, streams through it; main-thread stall recorded', { timeout: T }, async () => {
    const r = await page.evaluate(async () => {
      const { core, helpers } = globalThis;
      const w = helpers.newWorkerClient();
      const id = core.generateIdentity();
      const pt = helpers.bytes(1 << 20, 11);
      const t = await helpers.timed(async () => {
        const env = await w.encrypt(pt.slice(), { recipients: id.recipient().toString(), nde: 'auto' }, { transfer: true });
        return (await w.decrypt(env, { identities: id.toString() }, { transfer: true })).plaintext;
      });
      // the same encryption on the main thread, for comparison of the page's longest stall
      const main = await helpers.timed(() => core.encrypt(pt, { recipients: id.recipient().toString(), nde: 'auto' }));
      const envStream = w.encrypt(helpers.streamOf(pt), { recipients: id.recipient().toString(), nde: 'off' });
      const d = w.decrypt(envStream, { identities: id.toString() });
      const streamed = await helpers.collect(d.stream);
      await d.done;
      let code = 'NO_ERROR';
      try {
        await w.decrypt(new Uint8Array(10), { identities: id.toString() });
      } catch (e) {
        code = e.code;
      }
      w.close();
      return { same: helpers.equal(t.value, pt), streamed: helpers.equal(streamed, pt), ms: t.ms, stall: t.longestStallMs, mainStall: main.longestStallMs, code };
    });
    assert.deepEqual([r.same, r.streamed], [true, true]);
    assert.match(r.code, /^ERR_FORMAT_/);
    timings.worker1MiBNdeReferenceRoundTripMs = Math.round(r.ms);
    timings.worker1MiBLongestMainThreadStallMs = Math.round(r.stall);
    timings.mainThread1MiBNdeReferenceEncryptLongestStallMs = Math.round(r.mainStall);
  });
});

const lan = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
describe('a non-secure origin (http on a LAN address: no crypto.subtle)', { skip: lan ? false : 'no non-loopback IPv4 address' }, () => {
  test('HE keys and an HE record work without crypto.subtle', { timeout: T }, async () => {
    const lanServer = await serve(lan);
    try {
      const { page: p, problems: pp } = await open(browser, lanServer.url);
      const r = await p.evaluate(async () => {
        const { core, she } = globalThis;
        const keys = await she.HeKeySet.generate('bfv-n4096');
        const client = await she.HeClient.create(keys, she.defineSchema([{ path: 'n', type: 'integer', min: 0, max: 10 }]));
        const id = core.generateIdentity();
        const env = await core.encryptRecord({ n: 3 }, { recipients: id.recipient().toString(), he: client, nde: 'off' });
        const back = await core.decryptRecord(env, { identities: id, he: client });
        return { secure: globalThis.isSecureContext, subtle: typeof globalThis.crypto.subtle, keyId: keys.keyId, n: back.record?.n ?? back.value?.n };
      });
      await p.close();
      assert.deepEqual(pp, []);
      assert.equal(r.secure, false);
      assert.equal(r.subtle, 'undefined');
      assert.match(r.keyId, /^[0-9a-f]{32}$/);
      assert.equal(r.n, 3);
    } finally {
      await lanServer.close();
    }
  });
});
