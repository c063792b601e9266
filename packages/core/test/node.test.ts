// The Node entry: files and Node streams in constant memory, random access, identity files, the
// automatic NDE backend, and lazy loading of onnxruntime-node / node-seal.
import { describe, it, expect, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeIdentityFile } from '@nqc/pql/node';
import {
  closeNde,
  createDecryptTransform,
  createEncryptTransform,
  decrypt,
  decryptFile,
  encrypt,
  encryptFile,
  inspectFile,
  loadIdentities,
  ndeBackendName,
  openEnvelopeFile,
  rotateDataKeyFile,
  updateRecipientsFile,
} from '../src/node.js';
import { decrypt as decryptBrowser } from '../src/index.js';
import { alice, bob, carol, codeOf, hex, seeded, signer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nqc-core-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closeNde();
});

describe('files', () => {
  it('encryptFile / decryptFile / inspectFile, signed and armored; failures leave no output', async () => {
    const pt = seeded('file', 300_000);
    writeFileSync(join(dir, 'a'), pt);
    await encryptFile(join(dir, 'a'), join(dir, 'a.nqc'), { recipients: [alice.recipient(), bob.recipient()], signer, nde: 'reference', chunkSize: 65536 });
    const info = await inspectFile(join(dir, 'a.nqc'));
    expect(info.sizes?.plaintext).toBe(300_000);
    expect(info.sizes?.chunks).toBe(5);
    expect(info.nde?.known).toBe(true);
    const r = await decryptFile(join(dir, 'a.nqc'), join(dir, 'a.out'), { identities: bob, requireSigner: signer, nde: 'reference' });
    expect(r.signer?.keyId).toBe(signer.keyId);
    expect(hex(readFileSync(join(dir, 'a.out')))).toBe(hex(pt));

    await encryptFile(join(dir, 'a'), join(dir, 'a.asc'), { recipients: carol, armor: true, nde: 'off' });
    expect(readFileSync(join(dir, 'a.asc'), 'utf8').startsWith('-----BEGIN NQC ENVELOPE-----\n')).toBe(true);
    expect((await inspectFile(join(dir, 'a.asc'))).armored).toBe(true);
    await decryptFile(join(dir, 'a.asc'), join(dir, 'a2.out'), { identities: carol });
    expect(hex(readFileSync(join(dir, 'a2.out')))).toBe(hex(pt));

    const bad = readFileSync(join(dir, 'a.nqc'));
    bad[bad.length - 5000] ^= 1;
    writeFileSync(join(dir, 'bad.nqc'), bad);
    expect(await codeOf(() => decryptFile(join(dir, 'bad.nqc'), join(dir, 'bad.out'), { identities: alice, nde: 'reference' }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
    expect(existsSync(join(dir, 'bad.out'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('updateRecipientsFile copies the payload; rotateDataKeyFile re-encrypts it', async () => {
    const pt = seeded('file2', 200_000);
    writeFileSync(join(dir, 'b'), pt);
    await encryptFile(join(dir, 'b'), join(dir, 'b.nqc'), { recipients: alice, nde: 'off' });
    await updateRecipientsFile(join(dir, 'b.nqc'), join(dir, 'b2.nqc'), { identities: alice, recipients: [bob.recipient()] });
    const oldI = await inspectFile(join(dir, 'b.nqc'));
    const newI = await inspectFile(join(dir, 'b2.nqc'));
    expect(hex(readFileSync(join(dir, 'b2.nqc')).subarray(newI.headerLength))).toBe(hex(readFileSync(join(dir, 'b.nqc')).subarray(oldI.headerLength)));
    expect(hex((await decrypt(new Uint8Array(readFileSync(join(dir, 'b2.nqc'))), { identities: bob })).plaintext)).toBe(hex(pt));
    expect(await codeOf(() => decrypt(new Uint8Array(readFileSync(join(dir, 'b2.nqc'))), { identities: alice }))).toBe('ERR_FORMAT_DECRYPT_FAILED');

    await rotateDataKeyFile(join(dir, 'b2.nqc'), join(dir, 'b3.nqc'), { identities: bob, recipients: [carol.recipient()] });
    expect(hex((await decrypt(new Uint8Array(readFileSync(join(dir, 'b3.nqc'))), { identities: carol })).plaintext)).toBe(hex(pt));
    expect(await codeOf(() => decrypt(new Uint8Array(readFileSync(join(dir, 'b3.nqc'))), { identities: bob }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
  }, 60_000);

  it('random access: chunk k decrypts without reading (or trusting) the chunks before it', async () => {
    const pt = seeded('ra', 64 * 40 + 7);
    writeFileSync(join(dir, 'c'), pt);
    await encryptFile(join(dir, 'c'), join(dir, 'c.nqc'), { recipients: alice, nde: 'reference', chunkSize: 64 });
    const env = await openEnvelopeFile(join(dir, 'c.nqc'), { identities: alice, nde: 'reference' });
    expect(env.chunkCount).toBe(41);
    for (const k of [0, 17, 40]) expect(hex(await env.readChunk(k))).toBe(hex(pt.subarray(k * 64, (k + 1) * 64)));
    await env.close();
    // Destroy chunks 0..19: chunk 25 still opens, chunk 3 does not.
    const bytes = readFileSync(join(dir, 'c.nqc'));
    const h = (await inspectFile(join(dir, 'c.nqc'))).headerLength;
    bytes.fill(0, h, h + 20 * 80);
    writeFileSync(join(dir, 'c-broken.nqc'), bytes);
    const broken = await openEnvelopeFile(join(dir, 'c-broken.nqc'), { identities: alice, nde: 'reference' });
    expect(hex(await broken.readChunk(25))).toBe(hex(pt.subarray(25 * 64, 26 * 64)));
    expect(await codeOf(() => broken.readChunk(3))).toBe('ERR_FORMAT_DECRYPT_FAILED');
    expect(await codeOf(() => broken.readChunk(41))).toBe('ERR_FORMAT_CHUNK_INDEX');
    await broken.close();
  });

  it('identity files, plain and passphrase-protected', async () => {
    await writeIdentityFile(join(dir, 'key.txt'), { identities: [alice], signingKeys: [signer] });
    await writeIdentityFile(join(dir, 'key.enc'), { identities: [bob], signingKeys: [] }, { passphrase: 'pw', scrypt: { logN: 10, r: 8, p: 1 } });
    const plain = await loadIdentities(join(dir, 'key.txt'));
    const prot = await loadIdentities(join(dir, 'key.enc'), { passphrase: 'pw' });
    const env = await encrypt(seeded('idf', 10), { recipients: [alice.recipient(), bob.recipient()], signer: plain.signingKeys[0], nde: 'off' });
    expect((await decrypt(env, { identities: plain.identities, requireSigner: signer })).plaintext.length).toBe(10);
    expect((await decrypt(env, { identities: prot.identities })).plaintext.length).toBe(10);
    // the text of an unprotected identity file is accepted directly as an identity
    expect((await decrypt(env, { identities: readFileSync(join(dir, 'key.txt'), 'utf8') })).plaintext.length).toBe(10);
    expect(await codeOf(() => decrypt(env, { identities: readFileSync(join(dir, 'key.enc'), 'utf8') }))).toBe('ERR_CORE_KEY');
  });
});

describe('NDE backend', () => {
  it("'auto' picks the fastest backend that passes its self-test (v2: WebAssembly, else ONNX); it and the reference backend produce the same envelopes", async () => {
    const name = await ndeBackendName('auto');
    expect(['wasm', 'onnx', 'reference']).toContain(name);
    const pt = seeded('auto', 300_000);
    const env = await encrypt(pt, { recipients: alice, nde: 'auto' });
    // opened with the other backend (browser entry: reference), byte-exact agreement
    expect(hex((await decryptBrowser(env, { identities: alice, nde: 'reference' })).plaintext)).toBe(hex(pt));
    const env2 = await encrypt(pt, { recipients: alice, nde: 'reference' });
    expect(hex((await decrypt(env2, { identities: alice, nde: 'auto' })).plaintext)).toBe(hex(pt));
    expect(await codeOf(() => decrypt(env2, { identities: alice, nde: 'off' }))).toBe('ERR_FORMAT_INNER_LAYER');
  }, 60_000);

  const dist = join(import.meta.dirname, '..', 'dist', 'node.js');
  (existsSync(dist) && existsSync('/proc/self/maps') ? it : it.skip)('at run time: NDE off loads neither ONNX nor SEAL; NDE auto loads ONNX only (built dist)', () => {
    const script = (nde: string) => `
      import { encrypt, decrypt, generateIdentity } from ${JSON.stringify(dist)};
      import { readFileSync } from 'node:fs';
      const a = generateIdentity();
      const env = await encrypt(new Uint8Array(200000), { recipients: a.recipient(), nde: '${nde}' });
      await decrypt(env, { identities: a, nde: '${nde}' });
      console.log(JSON.stringify({ onnx: /onnxruntime/.test(readFileSync('/proc/self/maps', 'utf8')) }));`;
    const run = (nde: string) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(nde)], { encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'module', NODE_OPTIONS: '' } });
      expect(r.status).toBe(0);
      return { onnx: JSON.parse(r.stdout.trim().split('\n').pop()!).onnx as boolean, seal: /node-seal/.test(r.stderr) };
    };
    expect(run('off')).toEqual({ onnx: false, seal: false });
    const auto = run('auto');
    expect(auto.seal).toBe(false);
    expect(typeof auto.onnx).toBe('boolean');
  }, 60_000);

  it('onnxruntime-node and node-seal are never imported statically by the entries', () => {
    for (const f of ['index.ts', 'node.ts', 'envelope.ts', 'keys.ts', 'nde.ts', 'info.ts', 'lifecycle.ts', 'errors.ts', 'records-api.ts']) {
      const src = readFileSync(join(import.meta.dirname, '..', 'src', f), 'utf8');
      const staticImports = [...src.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].filter((m) => !/^(?:import|export)\s+type\s/.test(m[0])).map((m) => m[1]);
      expect(staticImports.length).toBeGreaterThan(0);
      expect([f, staticImports.filter((s) => /@nqc\/she|onnxruntime|node-seal|@nqc\/nde\/node/.test(s!))]).toEqual([f, []]);
    }
  });
});

/** A readable of `total` bytes (a 1 MiB pattern repeated) that hashes what it emits. */
function source(total: number, hash: ReturnType<typeof createHash>): Readable {
  const block = seeded('big', 1 << 20);
  let sent = 0;
  return new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(block.length, total - sent);
      const b = Buffer.from(block.subarray(0, n));
      b[0] = sent / (1 << 20); // make blocks differ
      hash.update(b);
      sent += n;
      this.push(b);
    },
  });
}

async function streamRoundTrip(total: number, nde: 'off' | 'auto') {
  const inHash = createHash('sha256');
  const outHash = createHash('sha256');
  let peak = 0;
  const base = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const d = createDecryptTransform({ identities: bob, nde });
  let out = 0;
  await pipeline(
    source(total, inHash),
    await createEncryptTransform({ recipients: bob, nde }),
    d.transform,
    new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _e, cb) {
        out += chunk.length;
        outHash.update(chunk);
        cb();
      },
    }),
  );
  await d.done;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { out, same: inHash.digest('hex') === outHash.digest('hex'), growthMiB: (peak - base) / 2 ** 20 };
}

describe('constant memory', () => {
  it('256 MiB through encrypt -> decrypt Node transforms with bounded RSS growth (NDE off)', async () => {
    const r = await streamRoundTrip(256 << 20, 'off');
    expect(r.out).toBe(256 << 20);
    expect(r.same).toBe(true);
    console.log(`256 MiB stream round trip, NDE off: peak RSS growth ${r.growthMiB.toFixed(1)} MiB`);
    expect(r.growthMiB).toBeLessThan(128); // 2x the input would be 512 MiB
  }, 120_000);

  it('with the automatic NDE backend, RSS does not grow with the input (32 MiB vs 128 MiB)', async () => {
    const small = await streamRoundTrip(32 << 20, 'auto');
    const big = await streamRoundTrip(128 << 20, 'auto');
    expect(small.same && big.same).toBe(true);
    console.log(`stream round trip, NDE auto (${await ndeBackendName()}): peak RSS growth ${small.growthMiB.toFixed(1)} MiB for 32 MiB, ${big.growthMiB.toFixed(1)} MiB for 128 MiB`);
    // The ONNX runtime's arenas and worker threads take a fixed ~100-150 MiB; 4x the input must not add 96 MiB.
    expect(big.growthMiB).toBeLessThan(small.growthMiB + 96);
    expect(big.growthMiB).toBeLessThan(256);
  }, 120_000);
});
