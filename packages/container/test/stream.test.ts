// Streaming in constant memory through the Node adapters, random access on files, and API contracts.
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  armor,
  bytesSource,
  chunkNonce,
  createDecryptStream,
  decryptEnvelope,
  deriveKeys,
  encodeHeader,
  encryptEnvelope,
  LABELS,
  nobleProvider,
  openChunk,
  openRandomAccess,
  parseHeader,
  rewriteHeader,
  verifyHeaderMac,
  type InnerLayer,
  type SeekableSource,
} from '../src/index.js';
import { createDecryptDuplex, createEncryptDuplex, fileSource, nodeProvider } from '../src/node.js';
import { codeOf, seeded, testSigner, testStanza, testUnwrap, testVerify, xorInner } from './helpers.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

const fileKey = seeded('stream', 32);
const stanzas = [testStanza(fileKey)];

describe('streaming through the Node adapters', () => {
  it('256 MiB round trip with bounded RSS', async () => {
    const total = 256 * 1024 * 1024;
    const block = seeded('block', 1 << 20);
    const inHash = createHash('sha256');
    const outHash = createHash('sha256');
    let produced = 0;
    let received = 0;
    let peak = 0;
    const rss0 = process.memoryUsage().rss;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        const b = Buffer.from(block);
        b.writeUInt32BE(produced / block.length, 0); // every MiB distinct
        inHash.update(b);
        produced += b.length;
        this.push(b);
      },
    });
    const { duplex, header } = createDecryptDuplex({ unwrap: testUnwrap });
    await pipeline(
      source,
      createEncryptDuplex({ fileKey, stanzas, aead: 'aes-256-gcm' }),
      duplex,
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          outHash.update(chunk);
          received += chunk.length;
          cb();
        },
      }),
    );
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(received).toBe(total);
    expect(outHash.digest('hex')).toBe(inHash.digest('hex'));
    expect((await header).suite.aead).toBe('aes-256-gcm');
    // Bounded: the growth is a small multiple of the chunk buffers, not of the 256 MiB input.
    expect(peak - rss0).toBeLessThan(160 * 1024 * 1024);
  }, 120_000);
});

describe('Node adapters', () => {
  it('nodeProvider.sealParts gives the bytes of seal (and of the noble provider), ciphertext then tag', () => {
    for (const aead of ['chacha20-poly1305', 'aes-256-gcm'] as const) {
      const key = seeded(`parts/${aead}`, 32);
      for (const len of [0, 1, 255, 65536]) {
        const nonce = chunkNonce(len, len === 0);
        const pt = seeded(`parts/${aead}/${len}`, len);
        const [ct, tag] = nodeProvider.aead(aead, key).sealParts!(nonce, pt);
        expect(ct.length).toBe(len);
        expect(tag.length).toBe(16);
        const joined = new Uint8Array([...ct, ...tag]);
        expect(joined).toEqual(nodeProvider.aead(aead, key).seal(nonce, pt));
        expect(joined).toEqual(nobleProvider.aead(aead, key).seal(nonce, pt));
        expect(nodeProvider.aead(aead, key).open(nonce, joined)).toEqual(pt);
      }
    }
  });

  it('produce the same bytes as the Web streams and decrypt armored input', async () => {
    const pt = seeded('nodeadapter', 5000);
    const opts = { fileKey, stanzas, chunkSize: 256, salt: seeded('salt', 32), signer: testSigner(seeded('k', 32)) };
    const collect = async (src: Readable, t: NodeJS.ReadWriteStream) => {
      const parts: Buffer[] = [];
      await pipeline(src, t, new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), cb()) }));
      return new Uint8Array(Buffer.concat(parts));
    };
    const viaNode = await collect(Readable.from([pt.subarray(0, 1000), pt.subarray(1000)]), createEncryptDuplex(opts));
    expect(viaNode).toEqual(await encryptEnvelope(pt, opts));
    const { duplex, header } = createDecryptDuplex({ unwrap: testUnwrap, verify: testVerify, requireSignature: true });
    expect(await collect(Readable.from([Buffer.from(armor(viaNode))]), duplex)).toEqual(pt);
    expect((await header).signer?.alg).toBe('test-hmac-sha256');
    const bad = createDecryptDuplex({ unwrap: () => null });
    await expect(collect(Readable.from([Buffer.from(viaNode)]), bad.duplex)).rejects.toMatchObject({ code: 'ERR_FORMAT_DECRYPT_FAILED' });
    await expect(bad.header).rejects.toMatchObject({ code: 'ERR_FORMAT_DECRYPT_FAILED' });
  });
});

describe('random access', () => {
  it('decrypts chunk k of a file reading only the header and that chunk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nqc-container-'));
    try {
      const pt = seeded('ra', 40 * 4096 + 123);
      const env = await encryptEnvelope(pt, { fileKey, stanzas, chunkSize: 4096, provider: nodeProvider, signer: testSigner(seeded('k', 32)) });
      writeFileSync(join(dir, 'f.nqc'), env);
      const src = await fileSource(join(dir, 'f.nqc'));
      const reads: [number, number][] = [];
      const spy: SeekableSource = { size: src.size, read: (o, l) => (reads.push([o, l]), src.read(o, l)) };
      const ra = await openRandomAccess(spy, { unwrap: testUnwrap, provider: nodeProvider });
      expect(ra.chunkCount).toBe(41);
      expect(ra.plaintextSize).toBe(pt.length);
      reads.length = 0;
      expect(await ra.readChunk(17)).toEqual(pt.subarray(17 * 4096, 18 * 4096));
      expect(reads).toEqual([[ra.header.length + 17 * (4096 + 16), 4096 + 16]]);
      expect(await ra.readChunk(40)).toEqual(pt.subarray(40 * 4096));
      expect(await codeOf(() => ra.readChunk(41))).toBe('ERR_FORMAT_CHUNK_INDEX');
      expect(await openChunk(bytesSource(env), 3, { unwrap: testUnwrap })).toEqual(pt.subarray(3 * 4096, 4 * 4096));
      // A chunk moved to another position fails its position check.
      const moved = env.slice();
      const full = 4096 + 16;
      moved.set(env.subarray(ra.header.length + 5 * full, ra.header.length + 6 * full), ra.header.length + 4 * full);
      const ra2 = await openRandomAccess(bytesSource(moved), { unwrap: testUnwrap });
      expect(await codeOf(() => ra2.readChunk(4))).toBe('ERR_FORMAT_DECRYPT_FAILED');
      await src.close();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('API contracts', () => {
  it('key schedule is HKDF-SHA-256 with the documented labels', () => {
    const salt = seeded('salt', 32);
    const k = deriveKeys(fileKey, salt);
    const enc = new TextEncoder();
    expect(k.header).toEqual(hkdf(sha256, fileKey, salt, enc.encode('nqc/v1/header'), 32));
    expect(k.payload).toEqual(hkdf(sha256, fileKey, salt, enc.encode('nqc/v1/payload'), 32));
    expect(k.inner).toEqual(hkdf(sha256, fileKey, salt, enc.encode('nqc/v1/nde'), 32));
    expect(LABELS.inner).toBe('nqc/v1/nde');
    expect(() => deriveKeys(fileKey.subarray(1), salt)).toThrow('"fileKey" expected Uint8Array of length 32, got length=31');
  });

  it('rewriteHeader re-wraps without touching the payload; needs the right key', async () => {
    const pt = seeded('rw', 500);
    const env = await encryptEnvelope(pt, { fileKey, stanzas, chunkSize: 64, signer: testSigner(seeded('k', 32)) });
    const { header, oldLength } = rewriteHeader(env, fileKey, [{ type: 'new', args: ['a'], body: Uint8Array.of(1) }, testStanza(fileKey)]);
    const env2 = new Uint8Array([...header, ...env.subarray(oldLength)]);
    const out = await decryptEnvelope(env2, { unwrap: testUnwrap, verify: testVerify, requireSignature: true });
    expect(out.plaintext).toEqual(pt);
    expect(out.header.stanzas.map((s) => s.type)).toEqual(['new', 'test-filekey']);
    expect(await codeOf(() => rewriteHeader(env, seeded('wrong', 32), stanzas))).toBe('ERR_FORMAT_DECRYPT_FAILED');
  });

  it('encodeHeader validates every field', async () => {
    const suite = { aead: 'chacha20-poly1305' as const, chunkSize: 65536, innerId: null, salt: seeded('s', 32) };
    expect(verifyHeaderMac(parseHeader(encodeHeader({ suite, stanzas }, fileKey)), fileKey)).toBe(true);
    const bad = [
      { suite: { ...suite, chunkSize: 1000 }, stanzas },
      { suite: { ...suite, aead: 'des' as never }, stanzas },
      { suite, stanzas: [] },
      { suite, stanzas: [{ type: 'bad type', args: [], body: new Uint8Array(0) }] },
      { suite, stanzas: [{ type: 'x', args: ['a b'], body: new Uint8Array(0) }] },
      { suite, stanzas: [{ type: 'x', args: [], body: new Uint8Array(65537) }] },
      { suite, stanzas, he: { metadata: new Uint8Array(0), entries: [] } },
      { suite, stanzas, he: { metadata: new Uint8Array(0), entries: [{ path: 'a\n', part: 0, scheme: 'bfv', paramsId: new Uint8Array(0), keyId: new Uint8Array(0), layout: 'l', count: 1, ciphertext: new Uint8Array(0) }] } },
      { suite, stanzas, signer: { alg: 'ml-dsa-65', key: new Uint8Array(0), trailerLength: 100 } },
    ];
    for (const f of bad) expect(await codeOf(() => encodeHeader(f, fileKey))).toBe('ERR_FORMAT_INVALID_ARGUMENT');
  });

  it('inner layer: called in batches of at most 16, output shape checked, id must match', async () => {
    const id = seeded('model', 32);
    const inner = xorInner(id);
    const pt = seeded('inner', 64 * 40);
    const env = await encryptEnvelope(pt, { fileKey, stanzas, chunkSize: 64, inner });
    expect(Math.max(...inner.calls)).toBe(16);
    expect(inner.calls.reduce((a, b) => a + b, 0)).toBe(40);
    expect((await decryptEnvelope(env, { unwrap: testUnwrap, inner: async (x) => (x.every((b, i) => b === id[i]) ? xorInner(id) : undefined) })).plaintext).toEqual(pt);
    const broken: InnerLayer = { ...xorInner(id), decryptChunks: async (_k, _s, items) => items.map((i) => i.data.subarray(1)) };
    expect(await codeOf(() => decryptEnvelope(env, { unwrap: testUnwrap, inner: broken }))).toBe('ERR_FORMAT_INNER_LAYER');
    expect(await codeOf(() => decryptEnvelope(env, { unwrap: testUnwrap }))).toBe('ERR_FORMAT_INNER_LAYER');
  });

  it('a bad signature withholds the final chunk; requireSignature needs verify', async () => {
    const pt = seeded('sig', 64 * 3 + 10);
    const env = await encryptEnvelope(pt, { fileKey, stanzas, chunkSize: 64, signer: testSigner(seeded('k', 32)) });
    env[env.length - 20]! ^= 1;
    const d = createDecryptStream({ unwrap: testUnwrap, verify: testVerify });
    const got: number[] = [];
    const w = d.writable.getWriter();
    const reading = (async () => {
      const r = d.readable.getReader();
      for (;;) {
        const { done, value } = await r.read();
        if (done) return;
        got.push(...value);
      }
    })();
    await w.write(env).catch(() => undefined);
    await w.close().catch(() => undefined);
    expect(await codeOf(() => reading)).toBe('ERR_FORMAT_SIGNATURE_INVALID');
    expect(got.length).toBeLessThan(pt.length);
    expect(Uint8Array.from(got)).toEqual(pt.subarray(0, got.length));
    expect(await codeOf(() => decryptEnvelope(env, { unwrap: testUnwrap, requireSignature: true }))).toBe('ERR_FORMAT_INVALID_ARGUMENT');
  });

  it('unwrap errors propagate; a null unwrap is the generic failure', async () => {
    const env = await encryptEnvelope(seeded('u', 10), { fileKey, stanzas });
    const e = await decryptEnvelope(env, { unwrap: () => null }).catch((x: Error) => x);
    expect(e).toMatchObject({ code: 'ERR_FORMAT_DECRYPT_FAILED', message: 'could not decrypt' });
    await expect(decryptEnvelope(env, { unwrap: () => { throw new RangeError('pql says no'); } })).rejects.toThrow('pql says no');
  });
});
