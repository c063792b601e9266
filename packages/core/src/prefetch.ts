// Node-only: overlaps the NDE keystream with everything else when encrypting or decrypting a stream.
//
// Why: @nqc/container's engine hands the inner layer at most 1 MiB (16 default chunks) per call and
// awaits each call before it accepts more input, so the ONNX workers, the AEAD and the I/O never run at
// the same time, and such calls are too small for the ONNX backend's best throughput. NDE encryption of chunk i
// depends only on (NDE key, salt, i, plaintext of chunk i), and its plaintext is known as soon as the
// input arrives, so this transform computes it AHEAD, in larger groups, while the container seals the
// previous group; the inner layer handed to the container then returns the precomputed result.
// Every result is used only if the container asks for exactly the same (key, salt, index, bytes);
// otherwise it is computed on the spot. The envelope bytes are identical to the sequential path (tested).
// Decryption (ndeDecryptTransform) runs the container with a pass-through inner layer and removes the
// NDE layer after it: the container keeps every check and releases only authenticated chunks.
// Memory: every bound is in bytes (GROUP_BYTES per call, IN_FLIGHT_BYTES in flight, one chunk at
// least), never a number of chunks alone, because the envelope's chunk size is the sender's choice.
import { Transform } from 'node:stream';
import { deriveKeys, encryptEngine, parseHeader, type EncryptOptions as ContainerEncryptOptions, type InnerLayer } from '@nqc/container';
import type { NdeBackend } from '@nqc/nde';
import { fail } from './errors.js';

/**
 * Plaintext bytes per NDE call made ahead of (encryption) or after (decryption) the container: 64
 * chunks of the default 64 KiB, the ONNX backend's best batch; one chunk when chunks are larger.
 */
export const GROUP_BYTES = 4 * 1024 * 1024;
/** Most chunks per NDE call (the ONNX backend gains nothing beyond 64). */
const GROUP_MAX_CHUNKS = 64;
/**
 * NDE work in flight (calls submitted and not yet consumed), in bytes: at most 3 calls (the worker
 * pool stays busy) and at most this many bytes, but always one call. The chunk size is the sender's
 * choice (up to 16 MiB): a fixed number of chunks would let an envelope make its reader buffer
 * gigabytes, so every bound here is in bytes.
 */
export const IN_FLIGHT_BYTES = 12 * 1024 * 1024;
const IN_FLIGHT_MAX_CALLS = 3;

/**
 * @internal How the pipeline groups chunks of `chunkSize` bytes: `group` chunks per NDE call and at
 * most `calls` calls in flight, so `group x chunkSize x calls <= max(IN_FLIGHT_BYTES, chunkSize)`.
 */
export function pipelineShape(chunkSize: number): { group: number; calls: number } {
  const group = Math.max(1, Math.min(GROUP_MAX_CHUNKS, Math.floor(GROUP_BYTES / chunkSize)));
  const calls = Math.max(1, Math.min(IN_FLIGHT_MAX_CALLS, Math.floor(IN_FLIGHT_BYTES / (group * chunkSize))));
  return { group, calls };
}

/**
 * @internal Whether chunks of `chunkSize` bytes go through the pipelined transforms. Chunks of
 * GROUP_BYTES or more do not: one such chunk already fills an NDE call, pipelining would only add
 * another chunk in memory at each stage (the ONNX backend itself needs ~8x the chunk per call), so
 * they take the container's sequential path (one chunk per call, input read only as output drains).
 */
export function pipelines(chunkSize: number): boolean {
  return chunkSize < GROUP_BYTES;
}

/** @internal FIFO of Buffers that hands out exactly `n` bytes (a view when one piece suffices). */
class Pieces {
  #parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    if (b.length) {
      this.#parts.push(b);
      this.length += b.length;
    }
  }
  /**
   * Takes `n` bytes as pieces of `size` bytes (the last may be shorter), each a view when it lies in one
   * input piece: chunk-aligned input (1 MiB reads, the container's one-chunk pieces) is never copied.
   */
  takeChunks(n: number, size: number): Buffer[] {
    const out: Buffer[] = [];
    for (let o = 0; o < n; o += size) out.push(this.take(Math.min(size, n - o)));
    return out;
  }
  take(n: number): Buffer {
    const first = this.#parts[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#parts.shift();
      else this.#parts[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let o = 0;
      while (o < n) {
        const p = this.#parts[0]!;
        const k = Math.min(p.length, n - o);
        p.copy(out, o, 0, k);
        o += k;
        if (k === p.length) this.#parts.shift();
        else this.#parts[0] = p.subarray(k);
      }
    }
    this.length -= n;
    return out;
  }
}

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
  // The header names the backend's own model (its version): never a constant that could disagree.
  const id = backend.modelId.slice();
  if (!opts.inner || !same(opts.inner.id, id)) fail('ERR_CORE_INVALID_ARGUMENT', 'internal: the prefetching transform needs the inner layer of its own NDE backend');
  const ahead = new Map<number, Ahead>();
  const layer: InnerLayer = {
    id,
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
  const { group, calls } = pipelineShape(chunkSize);
  const groupBytes = group * chunkSize;

  const pending = new Pieces(); // plaintext not yet cut into groups
  let nextIndex = 0; // index of the next chunk to cut
  const held: Buffer[][] = []; // cut plaintext groups (chunk pieces), NDE submitted, not yet given to the engine (<= calls)

  const submit = (g: Buffer[]) => {
    const items: { index: number; data: Uint8Array }[] = g.map((c) => ({ index: nextIndex++, data: new Uint8Array(c.buffer, c.byteOffset, c.length) }));
    const results = backend.encryptChunks(ndeKey, salt, items);
    results.catch(() => undefined); // a failure resurfaces when the container asks for the chunk
    items.forEach((it, j) => ahead.set(it.index, { data: it.data, out: results.then((r) => r[j]!) }));
    held.push(g);
  };

  // Sealed output goes out after each group (never more than one group's ciphertext collected), as
  // the pieces the container emitted: no copy into one Buffer; a writable with `writev` (fs.WriteStream,
  // the CLI's output) writes them with one system call.
  const sealGroup = async (t: Transform, g: readonly Buffer[]) => {
    const out: Uint8Array[] = [];
    for (const c of g) await engine.write(new Uint8Array(c.buffer, c.byteOffset, c.length), (b) => void out.push(b));
    for (const o of out) t.push(o);
  };
  const sealHeld = (t: Transform) => sealGroup(t, held.shift()!);

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
      (async () => {
        // Whole groups of full chunks are cut and submitted, at most `calls` ahead of the engine: a
        // large write waits for earlier groups instead of submitting all of itself at once.
        while (pending.length >= groupBytes) {
          if (held.length >= calls) await sealHeld(this);
          submit(pending.takeChunks(groupBytes, chunkSize));
        }
      })().then(() => cb(), cb);
    },
    flush(cb) {
      if (!started) this.push(engine.header);
      (async () => {
        while (held.length) await sealHeld(this);
        if (pending.length) await sealGroup(this, [pending.take(pending.length)]);
        const out: Uint8Array[] = [];
        await engine.end((b) => void out.push(b));
        for (const o of out) this.push(o);
        ahead.clear();
      })().then(() => cb(), cb);
    },
  });
}

/**
 * @internal The NDE half of a pipelined decryption. The container decrypts with a pass-through inner
 * layer (same model id), so it still does every check (MAC, tags, positions, final chunk, signature)
 * and releases each chunk's NDE ciphertext only once it is authenticated; this transform then removes
 * the NDE layer in groups of {@link pipelineShape} (4 MiB, 64 default chunks, or one larger chunk) with
 * at most 16 MiB (or one group) in flight, pushing each group as it is done. Chunk `i` of the container's
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
  let shape: { group: number; calls: number } | undefined;
  const pending = new Pieces();
  let nextIndex = 0;
  const inFlight: Promise<Uint8Array[]>[] = [];

  const submit = (chunks: Buffer[]) => {
    const items: { index: number; data: Uint8Array }[] = chunks.map((c) => ({ index: nextIndex++, data: new Uint8Array(c.buffer, c.byteOffset, c.length) }));
    const p = nde!.decryptChunks(k!.key, k!.salt, items);
    p.catch(() => undefined); // surfaces when awaited below
    inFlight.push(p);
  };
  const releaseOne = async (t: Transform) => {
    for (const o of await inFlight.shift()!) if (o.length) t.push(o);
  };
  return new Transform({
    readableHighWaterMark: 1 << 20,
    writableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      if (!enabled()) return cb(null, chunk); // an envelope without NDE: output as the container gave it
      (async () => {
        k ??= await keys();
        nde ??= await backend();
        shape ??= pipelineShape(k.chunkSize);
        const groupBytes = shape.group * k.chunkSize;
        pending.push(chunk);
        // At most `calls` groups in flight: a large write waits for earlier groups (output in order).
        while (pending.length >= groupBytes) {
          if (inFlight.length >= shape.calls) await releaseOne(this);
          submit(pending.takeChunks(groupBytes, k.chunkSize));
        }
      })().then(() => cb(), cb);
    },
    flush(cb) {
      (async () => {
        // The rest is less than one group (its last chunk may be short): one more call.
        if (pending.length) {
          if (inFlight.length >= shape!.calls) await releaseOne(this);
          submit(pending.takeChunks(pending.length, k!.chunkSize));
        }
        while (inFlight.length) await releaseOne(this);
      })().then(() => cb(), cb);
    },
  });
}
