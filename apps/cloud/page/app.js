// The page: UI, IndexedDB and the server API. Keys stay in the Worker and in IndexedDB; the server
// receives only the evaluation bundle, verifying keys and signed envelopes. Two scenarios, one
// dataset each (same keys): patients shared between research centres, and bank transactions.
import { api, useIdentity } from './api.js'; // the channel: every API call signed with the user's key (see api.js)
import { AGE_BINS, makePatients } from '../src/patients.ts';
import { AMOUNT_BINS, CATEGORIES, makeTransactions } from '../src/bank.ts';
import { binOf } from '../src/aggregates/groups.ts';

const $ = (id) => document.getElementById(id);
const worker = new Worker('/he.worker.js', { type: 'module' });
let nextId = 1;
const pending = new Map();
const workerReady = new Promise((resolve) => {
  worker.addEventListener('message', (ev) => {
    if (ev.data.ready) return resolve();
    const p = pending.get(ev.data.id);
    pending.delete(ev.data.id);
    if (ev.data.ok) p.resolve(ev.data.out);
    else p.reject(new Error(ev.data.error));
  });
});
const call = (type, arg, transfer = []) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, type, arg }, transfer);
  });

// The two scenarios: what is made up, shown, and asked. `expect` recomputes an answer from the
// plaintext this page encrypted in this session (kept in memory only), to check the decryption.
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const countBy = (rows, keyOf, keys) => Object.fromEntries(keys.map((k) => [k, rows.filter((r) => keyOf(r) === k).length]));
const sumBy = (rows, keyOf, keys, val) => Object.fromEntries(keys.map((k) => [k, Math.round(sum(rows.filter((r) => keyOf(r) === k).map(val)) * 100) / 100]));
const SCENARIOS = {
  patients: {
    title: 'patients',
    make: makePatients,
    columns: ['name', 'diagnosis', 'age', 'stay', 'bill'],
    cells: (p) => [p.name, p.diagnosis, p.age, p.stay, p.bill.toFixed(2)],
    queries: [
      ['count', 'age', 'count of records'],
      ['sum', 'age', 'sum of age'],
      ['mean', 'age', 'mean age'],
      ['mean', 'stay', 'mean length of stay'],
      ['sum', 'bill', 'sum of bills'],
      ['histogram', 'age_bins', 'histogram: patients per age band'],
    ],
    expect: (rows, op, path) => (op === 'histogram' ? countBy(rows, (p) => binOf(AGE_BINS, p.age), AGE_BINS.map((b) => b.key)) : scalar(rows, op, path)),
  },
  bank: {
    title: 'bank transactions',
    make: makeTransactions,
    columns: ['date', 'merchant', 'category', 'amount'],
    cells: (t) => [t.date, t.merchant, t.category, t.amount.toFixed(2)],
    // This dataset's bundle has no rotation keys: every answer is made with additions only. The
    // total and the mean come from the per-category sums, added here (and the public count).
    additionsOnly: true,
    queries: [
      ['count', 'amount', 'count of transactions'],
      ['groupSum', 'amount_by_category', 'total amount (the per-category sums, added here)', 'total'],
      ['groupSum', 'amount_by_category', 'mean amount (that total / the count)', 'mean'],
      ['groupSum', 'amount_by_category', 'grouped sum: amount per category'],
      ['histogram', 'amount_bins', 'histogram: transactions per amount band'],
    ],
    expect: (rows, op, path, derive) =>
      derive
        ? scalar(rows, derive === 'total' ? 'sum' : 'mean', 'amount')
        : op === 'groupSum'
        ? sumBy(rows, (t) => t.category, CATEGORIES, (t) => t.amount)
        : op === 'histogram'
          ? countBy(rows, (t) => binOf(AMOUNT_BINS, t.amount), AMOUNT_BINS.map((b) => b.key))
          : scalar(rows, op, path),
  },
};
function scalar(rows, op, path) {
  const col = rows.map((r) => r[path]);
  return op === 'count' ? col.length : op === 'sum' ? sum(col) : sum(col) / col.length;
}

// IndexedDB: one object store, one record ('owner') with the exported keys and the dataset ids.
const db = new Promise((resolve, reject) => {
  const r = indexedDB.open('nqc-cloud', 1);
  r.onupgradeneeded = () => r.result.createObjectStore('state');
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});
const idb = async (mode, fn) => {
  const d = await db;
  return new Promise((resolve, reject) => {
    const tx = d.transaction('state', mode);
    const req = fn(tx.objectStore('state'));
    tx.oncomplete = () => resolve(req?.result);
    tx.onerror = () => reject(tx.error);
  });
};
const load = () => idb('readonly', (s) => s.get('owner'));
const save = (v) => idb('readwrite', (s) => s.put(v, 'owner'));
const forget = () => idb('readwrite', (s) => s.delete('owner'));

const timings = {};
function timing(stage, value) {
  timings[stage] = value;
  $('timings').tBodies[0].replaceChildren(...Object.entries(timings).map(([k, v]) => row([k, v])));
}
function row(cells, hexCol = -1) {
  const tr = document.createElement('tr');
  cells.forEach((c, i) => {
    const td = document.createElement('td');
    td.textContent = String(c);
    if (i === hexCol) td.className = 'hex';
    tr.append(td);
  });
  return tr;
}
const ms = (x) => `${Math.round(x)} ms`;
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const hexOfBase64 = (text, n = 48) => Array.from(atob(text.slice(0, Math.ceil((n * 4) / 3) + 4)).slice(0, n), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');

let owner; // { saved, datasets: { patients, bank }, info }
useIdentity(() => owner?.saved.identityFile);
const mine = { patients: [], bank: [] }; // plaintext uploaded in this session (memory only)
const scenario = () => document.querySelector('input[name="scenario"]:checked').value;
const datasetId = () => owner?.datasets[scenario()];

async function refreshServerView() {
  if (!datasetId()) return;
  const { envelopes } = await api('GET', `/api/datasets/${datasetId()}/envelopes`);
  $('envelopes').tBodies[0].replaceChildren(...envelopes.map((e) => row([e.id, e.size, e.records, `${e.fields.length}: ${e.fields.join(', ')}`, e.hexExcerpt], 4)));
  const { entries } = await api('GET', `/api/audit?dataset=${datasetId()}`);
  $('audit').replaceChildren(...entries.map((e) => {
    const li = document.createElement('li');
    li.textContent = `${e.at} ${e.action} ${JSON.stringify(e.detail)}`;
    return li;
  }));
}

function showScenario() {
  const s = SCENARIOS[scenario()];
  $('sample-head').replaceChildren(...s.columns.map((c) => Object.assign(document.createElement('th'), { textContent: c })));
  $('sample').tBodies[0].replaceChildren(...mine[scenario()].slice(0, 5).map((r) => row(s.cells(r))));
  $('query').replaceChildren(...s.queries.map(([op, path, label, derive]) => Object.assign(document.createElement('option'), { value: [op, path, derive].filter(Boolean).join(':'), textContent: label })));
  $('scenario-name').textContent = s.title;
  $('answer').textContent = '';
  $('groups').hidden = true;
  void refreshServerView().catch(showError);
}

function showKeys() {
  const dl = $('keys-info');
  dl.replaceChildren();
  if (!owner) return;
  for (const [k, v] of [['patients dataset', owner.datasets.patients], ['bank dataset', owner.datasets.bank], ['signing (verifying key sent to the server)', `${owner.info.verifyingKey.slice(0, 48)}…`], ['HE key id', owner.info.heKeyId], ['evaluation bundle sent for the patients (with the slot-sum rotation keys)', kb(owner.info.bundleBytes)], ['evaluation bundle sent for the bank (no rotation keys: additions only)', owner.info.additionsBundleBytes ? kb(owner.info.additionsBundleBytes) : '(as above)']]) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v ?? '(none)';
    dl.append(dt, dd);
  }
}

function enable(ready) {
  $('setup').disabled = ready;
  for (const id of ['export', 'forget', 'upload', 'ask']) $(id).disabled = !ready;
}

async function setup() {
  $('keys-status').textContent = 'Generating an identity, a signing key and an HE key set in a Web Worker…';
  const info = await call('init', undefined);
  useIdentity(() => owner?.saved.identityFile ?? info.saved.identityFile); // sign as the new key already
  timing('key generation (identity, ML-DSA, BFV N=4096)', ms(info.ms));
  const t0 = performance.now();
  const datasets = {};
  for (const [name, s] of Object.entries(SCENARIOS)) datasets[name] = (await api('POST', '/api/datasets', { name, writers: [info.verifyingKey], bundle: s.additionsOnly ? info.additionsBundle : info.bundle })).id;
  timing('dataset creation on the server (2 datasets)', ms(performance.now() - t0));
  owner = { saved: info.saved, datasets, info: { verifyingKey: info.verifyingKey, heKeyId: info.heKeyId, bundleBytes: info.bundleBytes, additionsBundleBytes: info.additionsBundleBytes } };
  await save(owner);
  $('keys-status').textContent = 'Keys created and kept in this browser (IndexedDB). The server has your verifying key and evaluation bundle only.';
  showKeys();
  enable(true);
  await refreshServerView();
}

async function upload() {
  const name = scenario();
  const s = SCENARIOS[name];
  const n = Math.max(1, Math.min(20000, Number($('count').value) || 1));
  const records = s.make(n, Date.now() % 100000);
  $('sample').tBodies[0].replaceChildren(...records.slice(0, 5).map((r) => row(s.cells(r))));
  $('upload-status').textContent = `Encrypting ${n} ${s.title} in the Worker…`;
  const enc = await call('encrypt', { scenario: name, records });
  mine[name].push(...records);
  timing(`${name}: encrypt ${n} records (Worker)`, ms(enc.ms));
  timing(`${name}: plaintext JSON / envelope`, `${kb(enc.plaintextBytes)} / ${kb(enc.envelope.byteLength)}`);
  const t0 = performance.now();
  const meta = await api('POST', `/api/datasets/${datasetId()}/envelopes`, enc.envelope, 'application/octet-stream');
  timing(`${name}: upload + server signature check`, ms(performance.now() - t0));
  $('upload-status').textContent = `Uploaded ${meta.records} ${s.title} in one signed envelope of ${meta.size} bytes (${meta.fields.length} HE fields, column-packed); the server checked the signature (enrolled writer: ${meta.signerEnrolled}).`;
  await refreshServerView();
}

function showGroups(value, expected) {
  const max = Math.max(1, ...Object.values(value));
  $('groups').tBodies[0].replaceChildren(...Object.entries(value).map(([k, v]) => {
    const tr = row([k, Math.round(v * 100) / 100, expected ? String(expected[k]) : '—']);
    const td = document.createElement('td');
    const meter = Object.assign(document.createElement('meter'), { min: 0, max, value: v, textContent: String(v) });
    meter.setAttribute('aria-label', `${k}: ${v}`);
    td.append(meter);
    tr.append(td);
    return tr;
  }));
  $('groups').hidden = false;
}

async function ask() {
  const name = scenario();
  const [op, path, derive] = $('query').value.split(':');
  const label = $('query').selectedOptions[0].textContent;
  $('answer').textContent = 'Asking…';
  $('answer').dataset.value = '';
  $('groups').hidden = true;
  const t0 = performance.now();
  const res = await api('POST', `/api/datasets/${datasetId()}/aggregate`, { op, path });
  const total = performance.now() - t0;
  const dec = await call('decrypt', { scenario: name, result: res.result });
  timing(`${op}(${path}): server`, ms(res.timings.serverMs));
  timing(`${op}(${path}): round trip`, ms(total));
  timing(`${op}(${path}): decrypt here`, ms(dec.ms));
  const first = res.result.ciphertext ?? res.result.sum ?? res.result.parts?.[0]?.ciphertext;
  if (res.result.bytes) {
    const parts = res.result.parts ? `${res.result.parts.length} ciphertexts, ` : '';
    timing(`${op}(${path}): encrypted answer`, `${parts}${res.result.bytes} bytes`);
    $('answer-seen').textContent = `${label}: ${parts}${res.result.bytes} bytes of ciphertext; first bytes ${first ? hexOfBase64(first) : ''}`;
  } else $('answer-seen').textContent = `${label}: a plain number (the server knows how many records it holds)`;
  const rows = mine[name];
  let expected = rows.length ? SCENARIOS[name].expect(rows, op, path) : undefined;
  if (derive) {
    // The total (and the mean) of the amounts, from the per-category sums: no rotation on the server.
    showGroups(dec.value, expected);
    dec.value = Math.round(Object.values(dec.value).reduce((a, b) => a + b, 0) * 100) / 100;
    if (derive === 'mean') dec.value /= (await api('POST', `/api/datasets/${datasetId()}/aggregate`, { op: 'count', path: 'amount' })).result.value;
    expected = rows.length ? SCENARIOS[name].expect(rows, op, path, derive) : undefined;
  }
  $('answer').dataset.value = JSON.stringify(dec.value);
  $('answer').dataset.expected = expected === undefined ? '' : JSON.stringify(expected);
  let matches;
  if (typeof dec.value === 'object' && !derive) {
    showGroups(dec.value, expected);
    $('answer').textContent = `${label}: ${Object.keys(dec.value).length} groups, decrypted here (table below)`;
    matches = expected && Object.keys(expected).every((k) => Math.abs(expected[k] - (dec.value[k] ?? 0)) < 0.005);
  } else {
    const value = op === 'count' ? dec.value : Math.round(dec.value * 100) / 100;
    $('answer').textContent = `${label} = ${value}`;
    matches = expected !== undefined && Math.abs(expected - dec.value) < 0.005;
  }
  if (expected !== undefined) $('answer').textContent += matches ? ' (matches the plaintext this page encrypted)' : ` (MISMATCH: the plaintext gives ${JSON.stringify(expected)})`;
  $('signers').textContent = `Server: ${res.signers.statement}.`;
  await refreshServerView();
}

const HE_MARK = '# nqc-cloud HE key set (base64, secret): ';
const DATASET_MARK = '# nqc-cloud dataset'; // `# nqc-cloud dataset <scenario>: <id>` (older files: `# nqc-cloud dataset: <id>`)

function exportKeys() {
  const lines = Object.entries(owner.datasets).map(([k, id]) => `${DATASET_MARK} ${k}: ${id}`);
  const text = `${owner.saved.identityFile.trimEnd()}\n${lines.join('\n')}\n${HE_MARK}${owner.saved.heKeySet}\n`;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  a.download = 'nqc-cloud-keys.txt';
  a.click();
  URL.revokeObjectURL(a.href);
}

async function importKeys(file) {
  const text = await file.text();
  const lines = text.split('\n');
  const heKeySet = lines.find((l) => l.startsWith(HE_MARK))?.slice(HE_MARK.length).trim();
  const datasets = {};
  for (const l of lines) {
    const m = /^# nqc-cloud dataset(?: (patients|bank))?: ([0-9a-f]{1,64})\s*$/.exec(l);
    if (m) datasets[m[1] ?? 'patients'] = m[2];
  }
  if (!heKeySet || Object.keys(datasets).length === 0) throw new Error('not an nqc-cloud key file (no HE key set or dataset line)');
  const identityFile = lines.filter((l) => !l.startsWith('# nqc-cloud ')).join('\n');
  const saved = { identityFile, heKeySet };
  const info = await call('init', saved);
  owner = { saved, datasets, info: { verifyingKey: info.verifyingKey, heKeyId: info.heKeyId, bundleBytes: info.bundleBytes, additionsBundleBytes: info.additionsBundleBytes } };
  mine.patients = [];
  mine.bank = [];
  await save(owner);
  $('keys-status').textContent = 'Keys imported and kept in this browser (IndexedDB).';
  showKeys();
  enable(true);
  await refreshServerView();
}

function showError(e) {
  $('answer').textContent = `Error: ${e.message}`;
  $('keys-status').textContent = `Error: ${e.message}`;
}
const guard = (fn) => async () => {
  try {
    await fn();
  } catch (e) {
    showError(e);
  }
};

$('setup').addEventListener('click', guard(setup));
$('upload').addEventListener('click', guard(upload));
$('ask').addEventListener('click', guard(ask));
$('export').addEventListener('click', exportKeys);
for (const r of document.querySelectorAll('input[name="scenario"]')) r.addEventListener('change', showScenario);
$('import').addEventListener('change', guard(async () => {
  const f = $('import').files[0];
  if (f) await importKeys(f);
}));
$('forget').addEventListener('click', guard(async () => {
  await forget();
  owner = undefined;
  mine.patients = [];
  mine.bank = [];
  showKeys();
  enable(false);
  $('keys-status').textContent = 'Keys forgotten: this browser can no longer read the datasets.';
}));

(async () => {
  showScenario();
  await workerReady;
  const stored = await load();
  if (stored) {
    const info = await call('init', stored.saved);
    // Records of an earlier version of this page kept one dataset id (patients).
    owner = { ...stored, datasets: stored.datasets ?? { patients: stored.datasetId } };
    $('keys-status').textContent = 'Keys restored from this browser (IndexedDB).';
    timing('key restore', ms(info.ms));
    showKeys();
    enable(true);
    await refreshServerView();
  } else {
    $('keys-status').textContent = 'No keys yet.';
    enable(false);
  }
  globalThis.nqcReady = true;
})().catch(showError);
