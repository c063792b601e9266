import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  NqcNdeError,
  createNdeNodeTransform,
  createNdeTransform,
  createOnnxBackend,
  referenceBackend,
  type NdeBackend,
  type NdeChunk,
} from '../src/node.js';
import { testBytes } from './helpers.js';

const key = testBytes(32, 1);
const salt = testBytes(16, 2);

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of stream as unknown as AsyncIterable<Uint8Array>) parts.push(p);
  return Buffer.concat(parts);
}

function source(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const p of pieces) c.enqueue(p);
      c.close();
    },
  });
}

function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, data.length]) {
    out.push(data.subarray(prev, c));
    prev = c;
  }
  return out;
}

/** What the stream must produce: chunk i = NDE(index first + i) of the i-th chunkSize slice. */
function expected(data: Uint8Array, chunkSize: number, first: number, decrypt = false): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let off = 0, i = first; off < data.length; off += chunkSize, i++) {
    const part = data.subarray(off, off + chunkSize);
    out.set(decrypt ? referenceBackend.decryptChunk(key, salt, i, part) : referenceBackend.encryptChunk(key, salt, i, part), off);
  }
  return out;
}

describe('Web TransformStream', () => {
  it('gives the per-chunk result whatever the write boundaries, and round-trips', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 1500 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(1000),
        fc.integer({ min: 1, max: 3 }),
        async (data, cuts, chunkSize, batch, firstIndex, inflight) => {
          const opts = { key, salt, chunkSize, batch, firstIndex, inflight };
          const ct = await collect(source(split(data, cuts)).pipeThrough(createNdeTransform(referenceBackend, opts)));
          expect(ct).toEqual(expected(data, chunkSize, firstIndex));
          const pt = await collect(source([ct]).pipeThrough(createNdeTransform(referenceBackend, { ...opts, mode: 'decrypt' })));
          expect(pt).toEqual(data);
        },
      ),
      { numRuns: 40 },
    );
  });
  it('an empty stream gives no bytes', async () => {
    expect((await collect(source([]).pipeThrough(createNdeTransform(referenceBackend, { key, salt })))).length).toBe(0);
  });
  it('fail_options: bad options throw ERR_NDE_INVALID_INPUT', () => {
    const bad = [
      { key: new Uint8Array(3), salt },
      { key, salt, chunkSize: 0 },
      { key, salt, chunkSize: 2 ** 25 },
      { key, salt, batch: 0 },
      { key, salt, inflight: 0 },
      { key, salt, firstIndex: -1 },
      { key, salt, mode: 'sideways' as never },
    ];
    for (const o of bad) expect(() => createNdeTransform(referenceBackend, o)).toThrow(NqcNdeError);
  });
  it('fail_chunk: a non-bytes chunk errors the stream', async () => {
    const s = source(['text' as unknown as Uint8Array]).pipeThrough(createNdeTransform(referenceBackend, { key, salt }));
    await expect(collect(s)).rejects.toMatchObject({ code: 'ERR_NDE_INVALID_INPUT' });
  });
});

describe('Node Transform adapter', () => {
  it('pipes a file-like stream and matches the Web transform', async () => {
    const data = testBytes(300_000, 9);
    const parts: Buffer[] = [];
    await pipeline(
      Readable.from(split(data, [1, 70_000, 200_001]).map((p) => Buffer.from(p))),
      createNdeNodeTransform(referenceBackend, { key, salt, chunkSize: 65536, batch: 2 }),
      new Writable({
        write(chunk: Buffer, _e, done) {
          parts.push(chunk);
          done();
        },
      }),
    );
    expect(new Uint8Array(Buffer.concat(parts))).toEqual(expected(data, 65536, 0));
  });
});

/** Counts bytes pulled from the source and bytes delivered downstream: their difference is what the pipeline holds. */
class Meter {
  pulled = 0;
  delivered = 0;
  maxHeld = 0;
  sample(): void {
    this.maxHeld = Math.max(this.maxHeld, this.pulled - this.delivered);
  }
}

/** A stand-in backend (identity) that samples the meter: tests the chunker alone, quickly. */
function countingBackend(meter: Meter): NdeBackend & { maxBatch: number; chunks: number } {
  const b = {
    name: 'reference' as const,
    version: 1 as const,
    modelId: new Uint8Array(32),
    maxBatch: 0,
    chunks: 0,
    async encryptChunks(_k: Uint8Array, _s: Uint8Array, items: NdeChunk[]) {
      b.maxBatch = Math.max(b.maxBatch, items.length);
      b.chunks += items.length;
      meter.sample();
      return items.map((it) => it.data.slice());
    },
    async decryptChunks(k: Uint8Array, s: Uint8Array, items: NdeChunk[]) {
      return b.encryptChunks(k, s, items);
    },
    async close() {},
  };
  return b;
}

function zeroSource(total: number, piece: number, meter: Meter): ReadableStream<Uint8Array> {
  let left = total;
  return new ReadableStream(
    {
      pull(c) {
        if (left === 0) return c.close();
        const n = Math.min(piece, left);
        left -= n;
        meter.pulled += n;
        c.enqueue(new Uint8Array(n));
      },
    },
    { highWaterMark: 1 },
  );
}

async function drain(stream: ReadableStream<Uint8Array>, meter: Meter, onBytes: (b: Uint8Array) => void = () => {}): Promise<number> {
  let n = 0;
  for await (const p of stream as unknown as AsyncIterable<Uint8Array>) {
    n += p.length;
    meter.delivered += p.length;
    meter.sample();
    onBytes(p);
  }
  return n;
}

const MiB = 1024 * 1024;

describe('bounded memory while streaming', () => {
  // What the pipeline holds (bytes read but not yet delivered) must stay below
  // (inflight + 1) x batch x chunkSize plus the source's and the transform's queues (a few 1 MiB
  // pieces), whatever the stream length: a deterministic measure, unlike heap sampling.
  it('256 MiB through the chunker: at most a few MiB held at any time, batches of 16', async () => {
    const meter = new Meter();
    const backend = countingBackend(meter);
    const total = 256 * MiB;
    const n = await drain(zeroSource(total, MiB, meter).pipeThrough(createNdeTransform(backend, { key, salt, batch: 16, inflight: 2 })), meter);
    expect(n).toBe(total);
    expect(backend.chunks).toBe(total / 65536);
    expect(backend.maxBatch).toBe(16);
    expect(meter.maxHeld).toBeLessThanOrEqual(3 * MiB + 4 * MiB);
  });

  describe('with the ONNX worker pool', () => {
    const onnx = createOnnxBackend({ workers: 2 });
    afterAll(() => onnx.close());
    it('32 MiB stream: same bytes as the reference on a sample, bounded bytes held', async () => {
      const meter = new Meter();
      const total = 32 * MiB;
      let first: Uint8Array | undefined;
      const n = await drain(zeroSource(total, MiB, meter).pipeThrough(createNdeTransform(onnx, { key, salt })), meter, (b) => {
        first ??= b.slice(0, 65536);
      });
      expect(n).toBe(total);
      expect(first).toEqual(referenceBackend.encryptChunk(key, salt, 0, new Uint8Array(65536)));
      // defaults: inflight 2, batch 32, chunkSize 64 KiB
      expect(meter.maxHeld).toBeLessThanOrEqual(3 * 32 * 65536 + 4 * MiB);
    });
  });
});
