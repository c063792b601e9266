// The browser end to end: the real server (built, SQLite in a temporary directory) and its page in
// Debian's Chromium (playwright-core, no browser download). Both scenarios (patients, bank) are run by
// clicking the page; the answers decrypted in the page are compared with the plaintext the page encrypted.
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
  if (process.env.NQC_CLOUD_URL) url = process.env.NQC_CLOUD_URL; // a server already running (npm run demo -- --check)
  else {
    store = new SqliteStore(dataDir);
    app = await buildServer({ store, pageDir: join(here, '..', 'dist', 'page') });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  }
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
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
  writeFileSync(join(results, 'timings.json'), JSON.stringify(timings, null, 2) + '\n');
});

const text = (sel) => page.locator(sel).textContent();

// Asks one question of the current scenario; returns what the page decrypted and what the plaintext gives.
async function answer(op, path, derive) {
  await page.selectOption('#query', [op, path, derive].filter(Boolean).join(':'));
  await page.evaluate(() => { document.querySelector('#answer').dataset.value = ''; });
  const s = Date.now();
  await page.click('#ask');
  await page.waitForFunction(() => document.querySelector('#answer').dataset.value !== '' || /Error/.test(document.querySelector('#answer').textContent));
  timings[`${op}_${path}${derive ? `_${derive}` : ''}_ms`] = Date.now() - s;
  const attr = async (name) => JSON.parse((await page.locator('#answer').getAttribute(name)) || 'null');
  return { shown: await text('#answer'), value: await attr('data-value'), expected: await attr('data-expected') };
}

async function uploadRecords(n) {
  await page.fill('#count', String(n));
  const t0 = Date.now();
  await page.click('#upload');
  await page.waitForFunction(() => /Uploaded/.test(document.querySelector('#upload-status').textContent) || /Error/.test(document.querySelector('#answer').textContent));
  return Date.now() - t0;
}

test('the patient scenario through the real server: keys in the page, answers decrypted in the page', { timeout: T }, async () => {
  assert.equal(await page.evaluate(() => globalThis.isSecureContext), true);
  let t0 = Date.now();
  await page.click('#setup');
  await page.waitForFunction(() => !document.querySelector('#upload').disabled || /Error/.test(document.querySelector('#keys-status').textContent));
  timings.setupMs = Date.now() - t0;
  assert.match(await text('#keys-status'), /kept in this browser/);

  timings.patientsEncryptUploadMs = await uploadRecords(300);
  assert.match(await text('#upload-status'), /Uploaded 300 patients/);

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
  // The age histogram: the server added ciphertexts only; the page added their slots.
  const hist = await answer('histogram', 'age_bins');
  assert.deepEqual(hist.value, hist.expected, hist.shown);
  assert.equal(Object.values(hist.value).reduce((a, b) => a + b, 0), 300);
  assert.match(hist.shown, /matches the plaintext/);
  assert.equal(await page.locator('#groups tbody tr').count(), 5);
  assert.match(await text('#signers'), /signatures verified against the 1 writer.*additions only/);

  // What the server saw: one envelope, its size and first bytes, its last (encrypted) answer, the audit log.
  assert.equal(await page.locator('#envelopes tbody tr').count(), 1);
  assert.match(await text('#envelopes tbody td.hex'), /^[0-9a-f]{96}$/);
  assert.match(await text('#answer-seen'), /5 ciphertexts, \d+ bytes of ciphertext; first bytes [0-9a-f]{96}/);
  // The page refreshes the audit log after showing the answer: wait for the entry (bounded), then check it.
  await page.waitForFunction(() => /aggregate .*histogram/.test(document.querySelector('#audit')?.textContent ?? ''), null, { timeout: 60_000 }).catch(() => undefined);
  assert.match(await text('#audit'), /aggregate .*histogram/);
  await page.screenshot({ path: join(results, 'cloud-patients.png'), fullPage: true });

  // The page's plaintext sample is not on the server: the envelope list holds no name from it.
  const name = (await page.locator('#sample tbody tr td').first().textContent()).trim();
  assert.equal((await text('#envelopes')).includes(name), false);

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
  assert.deepEqual(problems, [], 'the page logged errors');
});

test('the bank scenario through the real server: amount per category and per band, decrypted in the page', { timeout: T }, async () => {
  await page.check('#scenario-bank');
  await page.waitForFunction(() => document.querySelector('#scenario-name').textContent === 'bank transactions');
  timings.bankEncryptUploadMs = await uploadRecords(250);
  assert.match(await text('#upload-status'), /Uploaded 250 bank transactions .*12 HE fields/);
  timings.bankSecondUploadMs = await uploadRecords(50);

  const count = await answer('count', 'amount');
  assert.equal(count.value, 300, count.shown);
  // The bank dataset's bundle has no rotation keys: the total and the mean come from the
  // per-category sums (additions only), added up in the page.
  assert.match(await text('#keys-info'), /bank \(no rotation keys: additions only\)\s*\d+(\.\d)? KiB/);
  const total = await answer('groupSum', 'amount_by_category', 'total');
  assert.ok(Math.abs(total.value - total.expected) < 0.005, total.shown);
  assert.match(total.shown, /matches the plaintext/);
  const mean = await answer('groupSum', 'amount_by_category', 'mean');
  assert.ok(Math.abs(mean.value - mean.expected) < 0.005, mean.shown);
  const hist = await answer('histogram', 'amount_bins');
  assert.deepEqual(hist.value, hist.expected, hist.shown);
  const byCat = await answer('groupSum', 'amount_by_category');
  assert.deepEqual(Object.keys(byCat.value).sort(), ['groceries', 'health', 'leisure', 'rent', 'restaurants', 'transport']);
  for (const [k, v] of Object.entries(byCat.expected)) assert.ok(Math.abs(byCat.value[k] - v) < 0.005, `${k}: ${byCat.value[k]} vs ${v}`);
  assert.ok(Math.abs(Object.values(byCat.value).reduce((a, b) => a + b, 0) - total.value) < 0.01);
  assert.match(byCat.shown, /matches the plaintext/);
  assert.match(await text('#signers'), /2 envelope\(s\) whose ML-DSA signatures verified/);
  assert.equal(await page.locator('#envelopes tbody tr').count(), 2);
  assert.match(await text('#audit'), /groupSum/);
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
