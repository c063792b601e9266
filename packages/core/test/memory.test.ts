// Issue 9 item 1: the chunk size is the sender's choice (up to 16 MiB), so whatever it is, encryption
// and decryption must hold a bounded number of BYTES in flight and stream their output chunk by chunk.
// Measured without wall clocks: the largest (input consumed - output produced) while the input is read,
// for Node transforms and Web streams, with a fast length-preserving stand-in for the NDE backend.
// (The RSS of the real ONNX pipeline with 16 MiB chunks is measured in memory-rss.test.ts, a tier.)
import { describe, it, expect } from '@jest/globals';
import { randomFillSync } from 'node:crypto';
import { Readable, Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ndeModelIdOf, type NdeBackend, type NdeChunk } from '@nqc/nde';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDecryptTransform, createEncryptTransform, decrypt, encrypt, rotateDataKeyFile } from '../src/node.js';
import { pipelineShape } from '../src/prefetch.js';
import { alice, bob } from './helpers.js';

const MiB = 1 << 20;

/** A length-preserving stand-in for NDE (byte + f(index, position)) that records its largest call. */
function countingBackend() {
  const stats = { largestCall: 0, outstanding: 0, peakOutstanding: 0 };
  const run = async (items: NdeChunk[], sign: 1 | -1) => {
    const bytes = items.reduce((n, it) => n + it.data.length, 0);
    stats.largestCall = Math.max(stats.largestCall, bytes);
    stats.outstanding += bytes;
    stats.peakOutstanding = Math.max(stats.peakOutstanding, stats.outstanding);
    await new Promise((r) => setImmediate(r));
    stats.outstanding -= bytes;
    return items.map(({ index, data }) => {
      const out = new Uint8Array(data.length);
      for (let j = 0; j < data.length; j++) out[j] = data[j]! + sign * ((index * 7 + j) & 0xff);
      return out;
    });
  };
  // A stand-in for v1's model (any known model id works: the test is about memory, not keystream).
  const backend: NdeBackend = {
    name: 'reference',
    version: 1,
    modelId: ndeModelIdOf(1),
    encryptChunks: (_k, _s, items) => run(items, 1),
    decryptChunks: (_k, _s, items) => run(items, -1),
    close: async () => undefined,
  };
  return { backend, stats };
}

/** A Node source of `bytes` in 64 KiB pieces that records the peak of (consumed - produced). */
function meter(bytes: Uint8Array) {
  const m = { consumed: 0, produced: 0, peak: 0, out: [] as Buffer[] };
  let off = 0;
  const source = new Readable({
    read() {
      if (off >= bytes.length) return void this.push(null);
      const n = Math.min(65_536, bytes.length - off);
      this.push(Buffer.from(bytes.subarray(off, off + n)));
      off += n;
      m.consumed += n;
      m.peak = Math.max(m.peak, m.consumed - m.produced);
    },
  });
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      m.produced += c.length;
      m.out.push(c);
      cb();
    },
  });
  return { m, source, sink, result: () => new Uint8Array(Buffer.concat(m.out)) };
}

async function throughMeter(bytes: Uint8Array, t: Duplex) {
  const x = meter(bytes);
  await pipeline(x.source, t, x.sink);
  return { peak: x.m.peak, out: x.result() };
}

/** Same for Web streams: feeds `bytes` in 64 KiB pieces and reads `run(input)`'s output. */
async function throughWeb(bytes: Uint8Array, run: (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>) {
  let consumed = 0;
  let produced = 0;
  let peak = 0;
  const input = new ReadableStream<Uint8Array>({
    pull(c) {
      if (consumed >= bytes.length) return c.close();
      const n = Math.min(65_536, bytes.length - consumed);
      c.enqueue(bytes.slice(consumed, consumed + n));
      consumed += n;
      peak = Math.max(peak, consumed - produced);
    },
  });
  const parts: Uint8Array[] = [];
  const reader = run(input).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    produced += value.length;
    parts.push(value);
  }
  return { peak, out: new Uint8Array(Buffer.concat(parts)) };
}

describe('bounded bytes in flight, whatever the chunk size', () => {
  it('pipelineShape bounds every group and the in-flight total in bytes', () => {
    for (let log2 = 6; log2 <= 24; log2++) {
      const c = 2 ** log2;
      const { group, calls } = pipelineShape(c);
      expect(group).toBeGreaterThanOrEqual(1);
      expect(calls).toBeGreaterThanOrEqual(1);
      expect(group * c * calls).toBeLessThanOrEqual(Math.max(16 * MiB, c));
    }
    expect(pipelineShape(65_536)).toEqual({ group: 64, calls: 3 }); // the default: unchanged batching
    expect(pipelineShape(16 * MiB)).toEqual({ group: 1, calls: 1 });
  });

  // 48 MiB in 1 MiB chunks: before the fix the Node transforms cut 64-chunk groups (the whole input
  // here) and the container 16-chunk batches, so nothing came out before the end.
  const total = 48 * MiB;
  const plaintext = randomFillSync(new Uint8Array(total));
  for (const chunkSize of [64 * 1024, MiB, 4 * MiB]) {
    it(`Node transforms, ${chunkSize / 1024} KiB chunks: encrypt and decrypt stream with < 28 MiB in flight`, async () => {
      const enc = countingBackend();
      const e = await throughMeter(plaintext, await createEncryptTransform({ recipients: alice, nde: enc.backend, chunkSize }));
      const dec = countingBackend();
      const d = createDecryptTransform({ identities: alice, nde: dec.backend });
      const p = await throughMeter(e.out, d.transform);
      await d.done;
      expect(Buffer.from(p.out).equals(Buffer.from(plaintext))).toBe(true);
      for (const s of [enc.stats, dec.stats]) {
        expect(s.largestCall).toBeLessThanOrEqual(Math.max(4 * MiB, chunkSize));
        expect(s.peakOutstanding).toBeLessThanOrEqual(16 * MiB);
      }
      console.log(`Node, ${chunkSize / 1024} KiB chunks: peak in flight encrypt ${(e.peak / MiB).toFixed(1)} MiB, decrypt ${(p.peak / MiB).toFixed(1)} MiB`);
      expect(e.peak).toBeLessThan(28 * MiB);
      expect(p.peak).toBeLessThan(28 * MiB);
    }, 120_000);
  }

  it('Web streams, 1 MiB chunks: encrypt and decrypt stream with < 8 MiB in flight', async () => {
    const enc = countingBackend();
    const e = await throughWeb(plaintext, (s) => encrypt(s, { recipients: alice, nde: enc.backend, chunkSize: MiB }));
    const dec = countingBackend();
    let done: Promise<unknown> = Promise.resolve();
    const p = await throughWeb(e.out, (s) => {
      const r = decrypt(s, { identities: alice, nde: dec.backend });
      done = r.done;
      return r.stream;
    });
    await done;
    expect(Buffer.from(p.out).equals(Buffer.from(plaintext))).toBe(true);
    expect(enc.stats.largestCall).toBe(MiB);
    expect(dec.stats.largestCall).toBe(MiB);
    console.log(`Web, 1 MiB chunks: peak in flight encrypt ${(e.peak / MiB).toFixed(1)} MiB, decrypt ${(p.peak / MiB).toFixed(1)} MiB`);
    expect(e.peak).toBeLessThan(8 * MiB);
    expect(p.peak).toBeLessThan(8 * MiB);
  }, 120_000);

  it('rotateDataKeyFile with 4 MiB chunks (the sequential path) round-trips', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nqc-mem-'));
    try {
      const nde = countingBackend().backend;
      const small = plaintext.subarray(0, 9 * MiB + 5);
      const env = await encrypt(small, { recipients: alice, nde, chunkSize: 4 * MiB });
      writeFileSync(join(dir, 'a.nqc'), env);
      await rotateDataKeyFile(join(dir, 'a.nqc'), join(dir, 'b.nqc'), { identities: alice, recipients: bob, nde });
      const out = await decrypt(readFileSync(join(dir, 'b.nqc')), { identities: bob, nde });
      expect(Buffer.from(out.plaintext).equals(Buffer.from(small))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
