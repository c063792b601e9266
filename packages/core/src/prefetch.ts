// Node-only: overlaps the NDE keystream with everything else when encrypting or decrypting a stream.
//
// Why: @nqc/container's engine hands the inner layer 16 chunks per call and awaits each call before
// it accepts more input, so the ONNX workers, the AEAD and the I/O never run at the same time, and
// 16-chunk calls are too small for the ONNX backend's best throughput. NDE encryption of chunk i
// depends only on (NDE key, salt, i, plaintext of chunk i), and its plaintext is known as soon as the
// input arrives, so this transform computes it AHEAD, in larger groups, while the container seals the
// previous group; the inner layer handed to the container then returns the precomputed result.
// Every result is used only if the container asks for exactly the same (key, salt, index, bytes);
// otherwise it is computed on the spot. The envelope bytes are identical to the sequential path (tested).
// Decryption (ndeDecryptTransform) runs the container with a pass-through inner layer and removes the
// NDE layer after it: the container keeps every check and releases only authenticated chunks.
import { Transform } from 'node:stream';
import { deriveKeys, encryptEngine, parseHeader, type EncryptOptions as ContainerEncryptOptions, type InnerLayer } from '@nqc/container';
import type { NdeBackend } from '@nqc/nde';
import { NDE_MODEL_ID } from './nde.js';

/** Chunks per NDE call made ahead of the container (the ONNX backend is fastest with large batches). */
const GROUP = 64;
/** Groups computed ahead (bounds memory: GROUP x chunk size x (AHEAD + 1) plaintext and keystream). */
const AHEAD = 2;

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

interface Ahead {
  readonly data: Uint8Array;
  readonly out: Promise<Uint8Array>;
}

/**
 * @internal A Node `Transform` encrypting with `opts` (which must name the NDE inner layer of
 * `backend`), with the NDE work for later chunks computed while earlier ones are sealed.
 */
export function prefetchingEncryptTransform(opts: ContainerEncryptOptions, backend: NdeBackend): Transform {
  const ahead = new Map<number, Ahead>();
  const layer: InnerLayer = {
    id: NDE_MODEL_ID,
    async encryptChunks(key, salt, items) {
      const out: (Uint8Array | Promise<Uint8Array> | undefined)[] = items.map((it) => {
        const a = ahead.get(it.index);
        ahead.delete(it.index);
        return a && keyOk(key, salt) && same(a.data, it.data) ? a.out : undefined;
      });
      const missing = items.filter((_, i) => out[i] === undefined);
      const direct = missing.length ? await backend.encryptChunks(key, salt, missing) : [];
      let m = 0;
      return Promise.all(out.map((o) => (o === undefined ? direct[m++]! : o)));
    },
    decryptChunks: (key, salt, items) => backend.decryptChunks(key, salt, items),
  };
  const engine = encryptEngine({ ...opts, inner: layer });
  const salt = parseHeader(engine.header).suite.salt;
  const ndeKey = deriveKeys(opts.fileKey, salt).inner;
  const keyOk = (k: Uint8Array, s: Uint8Array) => same(k, ndeKey) && same(s, salt);
  const chunkSize = parseHeader(engine.header).suite.chunkSize;

  let pending: Buffer[] = []; // plaintext not yet cut into chunks
  let pendingLength = 0;
  let nextIndex = 0; // index of the next chunk to cut
  const held: Buffer[] = []; // cut plaintext, NDE submitted, not yet given to the engine
  let heldGroups = 0;
  let out: Uint8Array[] = [];
  const emit = (b: Uint8Array) => void out.push(b);

  const submit = (chunks: Buffer[]) => {
    const items = chunks.map((data) => ({ index: nextIndex++, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }));
    const results = backend.encryptChunks(ndeKey, salt, items);
    results.catch(() => undefined); // a failure resurfaces when the container asks for the chunk
    items.forEach((it, j) => ahead.set(it.index, { data: it.data, out: results.then((r) => r[j]!) }));
  };

  const cut = () => {
    // Cut whole groups of full chunks; keep the rest (a partial group) for later or for the end.
    while (pendingLength >= GROUP * chunkSize) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLength);
      const group: Buffer[] = [];
      for (let i = 0; i < GROUP; i++) group.push(all.subarray(i * chunkSize, (i + 1) * chunkSize));
      submit(group);
      held.push(all.subarray(0, GROUP * chunkSize));
      heldGroups++;
      const rest = all.subarray(GROUP * chunkSize);
      pending = rest.length ? [rest] : [];
      pendingLength = rest.length;
    }
  };

  const drain = async (keep: number) => {
    while (heldGroups > keep) {
      const g = held.shift()!;
      heldGroups--;
      await engine.write(new Uint8Array(g.buffer, g.byteOffset, g.length), emit);
    }
  };

  const flushOut = (t: Transform) => {
    if (out.length) t.push(out.length === 1 ? out[0] : Buffer.concat(out));
    out = [];
  };

  let started = false;
  return new Transform({
    readableHighWaterMark: 1 << 20,
    writableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      if (!started) {
        started = true;
        this.push(engine.header);
      }
      pending.push(chunk);
      pendingLength += chunk.length;
      cut();
      drain(AHEAD).then(() => {
        flushOut(this);
        cb();
      }, cb);
    },
    flush(cb) {
      if (!started) this.push(engine.header);
      (async () => {
        await drain(0);
        if (pendingLength) await engine.write(new Uint8Array(Buffer.concat(pending, pendingLength)), emit);
        await engine.end(emit);
        ahead.clear();
      })().then(() => {
        flushOut(this);
        cb();
      }, cb);
    },
  });
}

/**
 * @internal The NDE half of a pipelined decryption. The container decrypts with a pass-through inner
 * layer (same model id), so it still does every check (MAC, tags, positions, final chunk, signature)
 * and releases each chunk's NDE ciphertext only once it is authenticated; this transform then removes
 * the NDE layer, 64-chunk groups at a time with two groups in flight. Chunk `i` of the container's
 * output is bytes `[i*C, (i+1)*C)` (every chunk but the last is exactly `C`), so cutting is exact.
 * `keys()` is called once the first bytes arrive, i.e. after the header MAC verified.
 */
export function ndeDecryptTransform(
  backend: () => Promise<NdeBackend>,
  keys: () => Promise<{ key: Uint8Array; salt: Uint8Array; chunkSize: number }>,
  enabled: () => boolean,
): Transform {
  let nde: NdeBackend | undefined;
  let k: { key: Uint8Array; salt: Uint8Array; chunkSize: number } | undefined;
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let nextIndex = 0;
  const inFlight: Promise<Uint8Array[]>[] = [];

  const submit = (chunks: Buffer[]) => {
    const items = chunks.map((data) => ({ index: nextIndex++, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }));
    const p = nde!.decryptChunks(k!.key, k!.salt, items);
    p.catch(() => undefined); // surfaces when awaited below
    inFlight.push(p);
  };
  const cut = (all: boolean) => {
    const C = k!.chunkSize;
    while (pendingLength >= GROUP * C || (all && pendingLength > 0)) {
      const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLength);
      const n = Math.min(GROUP, Math.ceil(buf.length / C));
      const take = Math.min(buf.length, n * C);
      const group: Buffer[] = [];
      for (let i = 0; i < n; i++) group.push(buf.subarray(i * C, Math.min(take, (i + 1) * C)));
      submit(group);
      const rest = buf.subarray(take);
      pending = rest.length ? [rest] : [];
      pendingLength = rest.length;
    }
  };
  const release = async (t: Transform, keep: number) => {
    while (inFlight.length > keep) {
      const outs = await inFlight.shift()!;
      for (const o of outs) if (o.length) t.push(o);
    }
  };
  return new Transform({
    readableHighWaterMark: 1 << 20,
    writableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      if (!enabled()) return cb(null, chunk); // an envelope without NDE: output as the container gave it
      (async () => {
        k ??= await keys();
        nde ??= await backend();
        pending.push(chunk);
        pendingLength += chunk.length;
        cut(false);
        await release(this, AHEAD);
      })().then(() => cb(), cb);
    },
    flush(cb) {
      (async () => {
        if (pendingLength) cut(true);
        await release(this, 0);
      })().then(() => cb(), cb);
    },
  });
}
