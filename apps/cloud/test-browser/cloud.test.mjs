// The browser end to end: the real server (built, SQLite in a temporary directory) and its page in
// Debian's Chromium (playwright-core, no browser download). The patient scenario is run by clicking
// the page; the answers decrypted in the page are compared with the plaintext the page encrypted.
// Fails on any console error (page or Worker). Writes a screenshot and timings to test-results-browser/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { buildServer, SqliteStore } from '../dist/index.js';

const here = import.meta.dirname;
const results = join(here, '..', 'test-results-browser');
const CHROMIUM = process.env.NQC_CHROMIUM ?? '/usr/bin/chromium';
const T = 300_000; // SEAL in a Worker on a busy 2-core machine
const dataDir = mkdtempSync(join(tmpdir(), 'nqc-cloud-browser-'));
let store, app, browser, page, url;
const problems = [];
const timings = {};

before(async () => {
  mkdirSync(results, { recursive: true });
  store = new SqliteStore(dataDir);
  app = await buildServer({ store, pageDir: join(here, '..', 'dist', 'page') });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  page = await browser.newPage();
  page.setDefaultTimeout(T);
  page.on('console', (m) => m.type() === 'error' && problems.push(`console.error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && problems.push(`worker console.error: ${m.text()}`)));
  await page.goto(url);
  await page.waitForFunction(() => globalThis.nqcReady === true);
}, { timeout: T });

after(async () => {
  await browser?.close();
  await app?.close();
  store?.close();
  rmSync(dataDir, { recursive: true, force: true });
  writeFileSync(join(results, 'timings.json'), JSON.stringify(timings, null, 2) + '\n');
});

const text = (sel) => page.locator(sel).textContent();

test('the patient scenario through the real server: keys in the page, answers decrypted in the page', { timeout: T }, async () => {
  assert.equal(await page.evaluate(() => globalThis.isSecureContext), true);
  let t0 = Date.now();
  await page.click('#setup');
  await page.waitForFunction(() => !document.querySelector('#upload').disabled || /Error/.test(document.querySelector('#keys-status').textContent));
  timings.setupMs = Date.now() - t0;
  assert.match(await text('#keys-status'), /kept in this browser/);

  await page.fill('#count', '300');
  t0 = Date.now();
  await page.click('#upload');
  await page.waitForFunction(() => /Uploaded/.test(document.querySelector('#upload-status').textContent) || /Error/.test(document.querySelector('#answer').textContent));
  timings.encryptUploadMs = Date.now() - t0;
  assert.match(await text('#upload-status'), /Uploaded 300 records/);

  const answer = async (op, field) => {
    await page.selectOption('#op', op);
    await page.selectOption('#field', field);
    await page.evaluate(() => { document.querySelector('#answer').dataset.value = ''; });
    const s = Date.now();
    await page.click('#ask');
    await page.waitForFunction(() => document.querySelector('#answer').dataset.value !== '' || /Error/.test(document.querySelector('#answer').textContent));
    timings[`${op}_${field}_ms`] = Date.now() - s;
    const attr = (name) => page.locator('#answer').getAttribute(name);
    return { shown: await text('#answer'), value: Number(await attr('data-value')), expected: Number(await attr('data-expected')) };
  };
  const count = await answer('count', 'age');
  assert.equal(count.value, 300, count.shown);
  const sum = await answer('sum', 'age');
  const mean = await answer('mean', 'age');
  // Compared with the plaintext the page encrypted (kept in the page's memory, never sent).
  assert.equal(sum.value, sum.expected, sum.shown);
  assert.ok(Math.abs(mean.value - mean.expected) < 1e-9, mean.shown);
  const bill = await answer('sum', 'bill');
  assert.ok(bill.expected > 0 && Math.abs(bill.value - bill.expected) < 0.005, bill.shown);
  assert.match(bill.shown, /matches the plaintext/);
  assert.match(await text('#signers'), /signatures verified against the 1 writer/);

  // What the server saw: one envelope, its size and first bytes, and the audit log.
  const rows = await page.locator('#envelopes tbody tr').count();
  assert.equal(rows, 1);
  assert.match(await text('#envelopes tbody td.hex'), /^[0-9a-f]{96}$/);
  assert.match(await text('#audit'), /aggregate/);

  // The page's plaintext sample is not on the server: the database holds no name from it.
  const name = (await page.locator('#sample tbody tr td').first().textContent()).trim();
  const { envelopes } = await (await fetch(`${url}/api/datasets/${(await page.evaluate(() => document.querySelector('#keys-info dd').textContent))}/envelopes`)).json();
  assert.equal(JSON.stringify(envelopes).includes(name), false);

  // A reload restores the keys from IndexedDB and can still decrypt.
  await page.reload();
  await page.waitForFunction(() => globalThis.nqcReady === true);
  assert.match(await text('#keys-status'), /restored/);
  const again = await answer('sum', 'age');
  assert.equal(again.value, sum.value);

  // Export the keys, forget them, import the file: the answers decrypt again.
  const download = page.waitForEvent('download');
  await page.click('#export');
  const keyFile = join(results, 'exported-keys.txt');
  await (await download).saveAs(keyFile);
  await page.click('#forget');
  await page.waitForFunction(() => /forgotten/.test(document.querySelector('#keys-status').textContent));
  await page.setInputFiles('#import', keyFile);
  await page.waitForFunction(() => /imported|Error/.test(document.querySelector('#keys-status').textContent));
  assert.match(await text('#keys-status'), /imported/);
  assert.equal((await answer('sum', 'age')).value, sum.value);
  rmSync(keyFile);

  await page.screenshot({ path: join(results, 'cloud.png'), fullPage: true });
  assert.deepEqual(problems, [], 'the page logged errors');
});

test('the page also works on http://localhost (a secure context; the keys of this origin are separate)', { timeout: T }, async () => {
  const local = await browser.newPage();
  const errors = [];
  local.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  local.on('pageerror', (e) => errors.push(e.message));
  await local.goto(url.replace('127.0.0.1', 'localhost'));
  await local.waitForFunction(() => globalThis.nqcReady === true);
  assert.equal(await local.evaluate(() => globalThis.isSecureContext), true);
  assert.match(await local.locator('#keys-status').textContent(), /No keys yet/);
  await local.click('#setup');
  await local.waitForFunction(() => !document.querySelector('#upload').disabled || /Error/.test(document.querySelector('#keys-status').textContent));
  assert.match(await local.locator('#keys-status').textContent(), /kept in this browser/);
  await local.close();
  assert.deepEqual(errors, []);
});
