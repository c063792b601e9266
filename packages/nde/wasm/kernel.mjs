// Drives the NDE v2 WebAssembly kernel (nde-v2.wat) over a job: plain JavaScript on purpose, because
// Node worker threads load it directly (they cannot run the TypeScript sources the tests run from),
// and browser-safe (no imports at all), because the in-thread backend uses it too.
//
// A job is plain data (posted to worker threads as is, its buffers transferred):
//   { gen, w1, z1, w2, z2, decrypt, lens, ivs, data }
// `data` holds the chunks back to back (lengths `lens`), `ivs` their 64-byte start states; the job
// is processed in place and `data` returned. `gen` names the weights: a kernel that already holds
// weights of the same `gen` skips re-preparing them (the copies are still wiped by the caller).

const S = 64;
const O = 576;
const K = 512;

/**
 * Weights in the kernel's layout: i16 (w[k][j] - z[j]) in [-255, 255]; per block of 16 outputs and
 * per input pair p, four v128 each holding outputs j..j+3 as pairs (w'[2p][j], w'[2p+1][j]).
 * @param {Uint8Array} w - [64 inputs][cols] row-major
 * @param {Uint8Array} z - [cols]
 * @param {number} cols - 64 or 576
 * @param {Int16Array} out - 64 * cols entries
 */
function prepare(w, z, cols, out) {
  for (let b = 0, at = 0; b < cols / 16; b++) {
    for (let p = 0; p < S / 2; p++) {
      const r0 = 2 * p * cols;
      const r1 = r0 + cols;
      for (let q = 0; q < 16; q++, at += 2) {
        const j = 16 * b + q;
        out[at] = w[r0 + j] - z[j];
        out[at + 1] = w[r1 + j] - z[j];
      }
    }
  }
}

/** One instance of the kernel with its own memory. Not thread-safe; one job at a time. */
export class NdeWasmKernel {
  /**
   * @param {WebAssembly.Instance} instance
   */
  constructor(instance) {
    const x = instance.exports;
    this.x = x;
    this.mem = new Uint8Array(x.memory.buffer);
    this.lane0 = x.LANE0.value;
    this.lane1 = x.LANE1.value;
    this.win0 = x.WIN0.value;
    this.win1 = x.WIN1.value;
    this.winSteps = x.WIN_STEPS.value;
    this.w1 = new Int16Array(x.memory.buffer, x.W1.value, S * S);
    this.w2 = new Int16Array(x.memory.buffer, x.W2.value, S * O);
    this.gen = -1;
  }

  /**
   * @param {WebAssembly.Module} module
   * @returns {Promise<NdeWasmKernel>}
   */
  static async create(module) {
    return new NdeWasmKernel(await WebAssembly.instantiate(module, {}));
  }

  /** Prepares the job's weights unless this kernel holds weights of the same `gen` already. */
  #weights(job) {
    if (job.gen === this.gen) return;
    this.gen = -1;
    prepare(job.w1, job.z1, S, this.w1);
    prepare(job.w2, job.z2, O, this.w2);
    this.gen = job.gen;
  }

  /** Runs one job in place; returns `job.data`. */
  run(job) {
    const src = [];
    let off = 0;
    for (const len of job.lens) {
      src.push(job.data.subarray(off, off + len));
      off += len;
    }
    this.runChunks(job, src, src);
    return job.data;
  }

  /**
   * Runs chunks `src[i]` into `dst[i]` (same lengths; `dst[i]` may be `src[i]`) with the weights,
   * direction and start states (`ivs`) of `job` (its `data` and `lens` are not used).
   */
  runChunks(job, src, dst) {
    this.#weights(job);
    const dec = job.decrypt ? 1 : 0;
    const ivs = job.ivs;
    let i = 0;
    try {
      for (; i + 1 < src.length; i += 2) {
        this.mem.set(ivs.subarray(i * S, i * S + S), this.lane0);
        this.mem.set(ivs.subarray(i * S + S, i * S + 2 * S), this.lane1);
        this.#pair(src[i], dst[i], src[i + 1], dst[i + 1], dec);
      }
      if (i < src.length) {
        this.mem.set(ivs.subarray(i * S, i * S + S), this.lane0);
        this.#single(this.lane0, this.win0, src[i], dst[i], 0, dec);
      }
    } finally {
      this.scrub();
    }
  }

  // Two chunks side by side (run2) while both have steps left, then the longer one alone (run1).
  #pair(sa, da, sb, db, dec) {
    const { mem, lane0, lane1, win0, win1 } = this;
    const la = sa.length;
    const lb = sb.length;
    let pa = 0;
    let pb = 0;
    while (pa < la && pb < lb) {
      const n = Math.min(this.winSteps, Math.ceil((la - pa) / K), Math.ceil((lb - pb) / K));
      const na = Math.min(n * K, la - pa);
      const nb = Math.min(n * K, lb - pb);
      mem.set(sa.subarray(pa, pa + na), win0);
      mem.set(sb.subarray(pb, pb + nb), win1);
      this.x.run2(lane0, win0, lane1, win1, n, dec);
      da.set(mem.subarray(win0, win0 + na), pa);
      db.set(mem.subarray(win1, win1 + nb), pb);
      pa += na;
      pb += nb;
    }
    if (pa < la) this.#single(lane0, win0, sa, da, pa, dec);
    if (pb < lb) this.#single(lane1, win1, sb, db, pb, dec);
  }

  // One chunk from byte `from` on `lane`, whose state is already set, window by window.
  #single(lane, win, src, dst, from, dec) {
    const { mem } = this;
    const len = src.length;
    for (let p = from; p < len; ) {
      const n = Math.min(this.winSteps, Math.ceil((len - p) / K));
      const m = Math.min(n * K, len - p);
      mem.set(src.subarray(p, p + m), win);
      this.x.run1(lane, win, n, dec);
      dst.set(mem.subarray(win, win + m), p);
      p += m;
    }
  }

  /** Zeroes the lanes and data windows (states, keystream, data); the weights stay. */
  scrub() {
    this.mem.fill(0, this.lane0, this.mem.length);
  }

  /** Zeroes all of the kernel's memory, weights included. */
  wipe() {
    this.mem.fill(0);
    this.gen = -1;
  }
}
