// NDE v2 at size in a browser: a 64 MiB input encrypted and decrypted with NDE v2 in @nqc/core's module
// Worker. Asserts that it completes and decrypts to the same bytes with NDE v2 named in the envelope;
// the main thread's longest stall is recorded in test-results/timings-nde.json, never asserted (the
// machine is shared). Speed is measured by bench-nde.mjs, not here.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildPage, launch, open, serve } from './harness.mjs';

const here = import.meta.dirname;
const T = 600_000; // 64 MiB twice through the NDE layer on a busy 2-core machine
const timings = {};
let browser;
let server;
let page;
let problems;

before(async () => {
  await buildPage();
  server = await serve('127.0.0.1');
  browser = await launch();
  ({ page, problems } = await open(browser, server.url));
}, { timeout: T });

after(async () => {
  await browser?.close();
  await server?.close();
  mkdirSync(join(here, 'test-results'), { recursive: true });
  writeFileSync(join(here, 'test-results', 'timings-nde.json'), JSON.stringify(timings, null, 2) + '\n');
});

test('Worker: 64 MiB with NDE v2 encrypts and decrypts in a module Worker (main-thread stall recorded)', { timeout: T }, async () => {
  const r = await page.evaluate(async () => {
    const { core, helpers } = globalThis;
    const w = helpers.newWorkerClient();
    try {
      const id = core.generateIdentity();
      const pt = new Uint8Array(64 << 20);
      for (let o = 0; o < pt.length; o += 65536) crypto.getRandomValues(pt.subarray(o, o + 65536));
      const enc = await helpers.timed(() => w.encrypt(pt.slice(), { recipients: id.recipient().toString(), nde: 'auto', ndeVersion: 2 }, { transfer: true }));
      const envelopeBytes = enc.value.length;
      const dec = await helpers.timed(() => w.decrypt(enc.value, { identities: id.toString() }, { transfer: true }));
      return {
        same: helpers.equal(dec.value.plaintext, pt),
        envelopeBytes,
        version: dec.value.info?.nde?.version,
        encMs: enc.ms, encStall: enc.longestStallMs, decMs: dec.ms, decStall: dec.longestStallMs,
      };
    } finally {
      w.close();
    }
  });
  assert.equal(r.same, true, 'the 64 MiB round trip gave other bytes');
  assert.equal(r.version, 2);
  assert.ok(r.envelopeBytes > 64 << 20);
  Object.assign(timings, {
    worker64MiBNdeV2EncryptMs: Math.round(r.encMs),
    worker64MiBNdeV2DecryptMs: Math.round(r.decMs),
    worker64MiBNdeV2LongestMainThreadStallMs: Math.round(Math.max(r.encStall, r.decStall)),
  });
  assert.deepEqual(problems.splice(0), [], 'the page logged errors');
});
