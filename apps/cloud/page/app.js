// The page: UI, IndexedDB and the server API. Keys stay in the Worker and in IndexedDB; the server
// receives only the evaluation bundle, verifying keys and signed envelopes.
import { makePatients } from '../src/patients.ts';

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

// IndexedDB: one object store, one record ('owner') with the exported keys and the dataset id.
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

async function api(method, url, body, type = 'application/json') {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = type;
    init.body = type === 'application/json' ? JSON.stringify(body) : body;
  }
  const res = await fetch(url, init);
  const json = await res.json();
  if (!res.ok) throw new Error(`${json.error?.message ?? res.statusText} (${json.error?.code ?? res.status})`);
  return json;
}

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

let owner; // { saved, datasetId, info }
let mine = []; // the plaintext records uploaded in this session (memory only), to check answers against

async function refreshServerView() {
  if (!owner?.datasetId) return;
  const { envelopes } = await api('GET', `/api/datasets/${owner.datasetId}/envelopes`);
  $('envelopes').tBodies[0].replaceChildren(...envelopes.map((e) => row([e.id, e.size, e.records, e.fields.join(', '), e.hexExcerpt], 4)));
  const { entries } = await api('GET', `/api/audit?dataset=${owner.datasetId}`);
  $('audit').replaceChildren(...entries.map((e) => {
    const li = document.createElement('li');
    li.textContent = `${e.at} ${e.action} ${JSON.stringify(e.detail)}`;
    return li;
  }));
}

function showKeys() {
  const dl = $('keys-info');
  dl.replaceChildren();
  if (!owner) return;
  for (const [k, v] of [['dataset', owner.datasetId], ['signing (verifying key sent to the server)', `${owner.info.verifyingKey.slice(0, 48)}…`], ['HE key id', owner.info.heKeyId], ['evaluation bundle sent to the server', kb(owner.info.bundleBytes)]]) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
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
  timing('key generation (identity, ML-DSA, BFV N=4096)', ms(info.ms));
  const t0 = performance.now();
  const ds = await api('POST', '/api/datasets', { name: 'patients', writers: [info.verifyingKey], bundle: info.bundle });
  timing('dataset creation on the server', ms(performance.now() - t0));
  owner = { saved: info.saved, datasetId: ds.id, info: { verifyingKey: info.verifyingKey, heKeyId: info.heKeyId, bundleBytes: info.bundleBytes } };
  await save(owner);
  $('keys-status').textContent = 'Keys created and kept in this browser (IndexedDB). The server has your verifying key and evaluation bundle only.';
  showKeys();
  enable(true);
}

async function upload() {
  const n = Math.max(1, Math.min(20000, Number($('count').value) || 1));
  const patients = makePatients(n, Date.now() % 100000);
  $('sample').tBodies[0].replaceChildren(...patients.slice(0, 5).map((p) => row([p.name, p.diagnosis, p.age, p.stay, p.bill.toFixed(2)])));
  $('upload-status').textContent = `Encrypting ${n} records in the Worker…`;
  const enc = await call('encrypt', patients);
  mine.push(...patients);
  timing(`encrypt ${n} records (Worker)`, ms(enc.ms));
  timing('plaintext JSON / envelope', `${kb(enc.plaintextBytes)} / ${kb(enc.envelope.byteLength)}`);
  const t0 = performance.now();
  const meta = await api('POST', `/api/datasets/${owner.datasetId}/envelopes`, enc.envelope, 'application/octet-stream');
  timing('upload + server signature check', ms(performance.now() - t0));
  $('upload-status').textContent = `Uploaded ${meta.records} records in one signed envelope of ${meta.size} bytes; the server checked the signature (enrolled writer: ${meta.signerEnrolled}).`;
  await refreshServerView();
}

async function ask() {
  const op = $('op').value;
  const path = $('field').value;
  $('answer').textContent = 'Asking…';
  const t0 = performance.now();
  const res = await api('POST', `/api/datasets/${owner.datasetId}/aggregate`, { op, path });
  const total = performance.now() - t0;
  const dec = await call('decrypt', res.result);
  timing(`${op}(${path}): server`, ms(res.timings.serverMs));
  timing(`${op}(${path}): round trip`, ms(total));
  timing(`${op}(${path}): decrypt here`, ms(dec.ms));
  if (res.result.bytes) timing(`${op}(${path}): encrypted answer`, `${res.result.bytes} bytes`);
  const value = op === 'count' ? dec.value : Math.round(dec.value * 100) / 100;
  $('answer').textContent = `${op} of ${path} = ${value}`;
  $('answer').dataset.value = String(dec.value);
  const col = mine.map((p) => p[path]);
  const expected = op === 'count' ? col.length : op === 'sum' ? col.reduce((a, b) => a + b, 0) : col.reduce((a, b) => a + b, 0) / col.length;
  $('answer').dataset.expected = mine.length ? String(expected) : '';
  if (mine.length) $('answer').textContent += Math.abs(expected - dec.value) < 0.005 ? ' (matches the plaintext this page encrypted)' : ` (MISMATCH: the plaintext gives ${expected})`;
  $('signers').textContent = `Server: ${res.signers.statement}.`;
  await refreshServerView();
}

const HE_MARK = '# nqc-cloud HE key set (base64, secret): ';
const DATASET_MARK = '# nqc-cloud dataset: ';

function exportKeys() {
  const text = `${owner.saved.identityFile.trimEnd()}\n${DATASET_MARK}${owner.datasetId}\n${HE_MARK}${owner.saved.heKeySet}\n`;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  a.download = 'nqc-cloud-keys.txt';
  a.click();
  URL.revokeObjectURL(a.href);
}

async function importKeys(file) {
  const text = await file.text();
  const line = (mark) => text.split('\n').find((l) => l.startsWith(mark))?.slice(mark.length).trim();
  const heKeySet = line(HE_MARK);
  const datasetId = line(DATASET_MARK);
  if (!heKeySet || !datasetId) throw new Error('not an nqc-cloud key file (no HE key set or dataset line)');
  const identityFile = text.split('\n').filter((l) => !l.startsWith('# nqc-cloud ')).join('\n');
  const saved = { identityFile, heKeySet };
  const info = await call('init', saved);
  owner = { saved, datasetId, info: { verifyingKey: info.verifyingKey, heKeyId: info.heKeyId, bundleBytes: info.bundleBytes } };
  mine = [];
  await save(owner);
  $('keys-status').textContent = 'Keys imported and kept in this browser (IndexedDB).';
  showKeys();
  enable(true);
  await refreshServerView();
}

const guard = (fn) => async () => {
  try {
    await fn();
  } catch (e) {
    $('answer').textContent = `Error: ${e.message}`;
    $('keys-status').textContent = `Error: ${e.message}`;
  }
};

$('setup').addEventListener('click', guard(setup));
$('upload').addEventListener('click', guard(upload));
$('ask').addEventListener('click', guard(ask));
$('export').addEventListener('click', exportKeys);
$('import').addEventListener('change', guard(async () => {
  const f = $('import').files[0];
  if (f) await importKeys(f);
}));
$('forget').addEventListener('click', guard(async () => {
  await forget();
  owner = undefined;
  mine = [];
  showKeys();
  enable(false);
  $('keys-status').textContent = 'Keys forgotten: this browser can no longer read the dataset.';
}));

(async () => {
  await workerReady;
  const stored = await load();
  if (stored) {
    const info = await call('init', stored.saved);
    owner = stored;
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
})().catch((e) => {
  $('keys-status').textContent = `Error: ${e.message}`;
});
