// The NDE browser bench page (bench-nde.mjs builds it with esbuild): the @nqc/nde backends in the
// page's own thread (speed, one thread), and @nqc/core's Worker encrypting a large input while the
// main thread's longest stall is sampled with setInterval (5 ms) and requestAnimationFrame.
import * as nde from '@nqc/nde';
import * as core from '@nqc/core';
import { NqcWorkerClient } from '@nqc/core/worker-client';

const CHUNK = 65536;

function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  return out;
}

/** Samples the main thread while `f` runs: the longest gap between setInterval ticks and between frames. */
async function sampled(f) {
  let lastTick = performance.now();
  let longestTick = 0;
  let lastFrame = performance.now();
  let longestFrame = 0;
  let frames = 0;
  let running = true;
  const tick = setInterval(() => {
    const now = performance.now();
    longestTick = Math.max(longestTick, now - lastTick);
    lastTick = now;
  }, 5);
  const frame = (now) => {
    if (!running) return;
    frames++;
    longestFrame = Math.max(longestFrame, now - lastFrame);
    lastFrame = now;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const t0 = performance.now();
  try {
    const value = await f();
    const ms = performance.now() - t0;
    const now = performance.now();
    longestTick = Math.max(longestTick, now - lastTick);
    return { value, ms, longestTickGapMs: longestTick, longestFrameGapMs: longestFrame, frames };
  } finally {
    running = false;
    clearInterval(tick);
  }
}

/** A backend of @nqc/nde by name, in this thread, or a reason why it is not there. */
function backendOf(name) {
  if (name === 'wasm-v2') return typeof nde.createWasmNde === 'function' ? nde.createWasmNde() : 'this build of @nqc/nde has no createWasmNde';
  if (name === 'reference-v2') return nde.referenceBackendV2 ?? 'this build of @nqc/nde has no NDE v2 reference';
  if (name === 'reference-v1') return nde.referenceBackend;
  return `unknown backend ${name}`;
}

const bench = {
  /** The page doing nothing for `ms`: the stalls the machine's load alone causes (a control). */
  async idle(ms) {
    const r = await sampled(() => new Promise((resolve) => setTimeout(resolve, ms)));
    return { ms: r.ms, longestTickGapMs: r.longestTickGapMs, longestFrameGapMs: r.longestFrameGapMs, frames: r.frames };
  },

  /**
   * MB/s of `encryptChunks` over `mib` MiB in calls of `batch` 64 KiB chunks (one thread: this page),
   * best of 3 rounds after a warm-up call (module compile and self-test). `aes-256-gcm` is the peer:
   * WebCrypto AES-256-GCM over the same 64 KiB chunks.
   */
  async speed(name, mib, batch = 16) {
    const key = randomBytes(32);
    const salt = randomBytes(16);
    const items = Array.from({ length: batch }, (_, i) => ({ index: i, data: randomBytes(CHUNK) }));
    const calls = Math.max(1, Math.round((mib * 1048576) / 3 / (batch * CHUNK)));
    let run;
    let close = async () => {};
    if (name === 'aes-256-gcm') {
      const k = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
      run = async (first) => {
        for (const it of items) {
          const iv = new Uint8Array(12);
          new DataView(iv.buffer).setUint32(0, first + it.index);
          await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, k, it.data);
        }
      };
    } else {
      const b = backendOf(name);
      if (typeof b === 'string') return { skipped: b };
      run = (first) => b.encryptChunks(key, salt, items.map((it) => ({ index: first + it.index, data: it.data })));
      close = () => b.close();
    }
    await run(0);
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) await run((round * calls + c + 1) * batch);
      best = Math.min(best, performance.now() - t0);
    }
    await close();
    const bytes = calls * batch * CHUNK;
    return { bytes, ms: best, mbps: bytes / 1e6 / (best / 1000) };
  },

  /**
   * Encrypts `mib` MiB (random) with NDE `nde` (a core choice: 'wasm', 'auto', ...) and NDE version
   * `ndeVersion` in a module Worker, then decrypts it there; the main thread is sampled during both.
   */
  async workerRoundTrip(mib, nde = 'auto', ndeVersion = 2) {
    const w = new NqcWorkerClient(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
    try {
      const id = core.generateIdentity();
      // The Worker's first call (module start-up, NDE self-test) on a 1 KiB input, sampled too.
      const warm = await sampled(() => w.encrypt(randomBytes(1024), { recipients: id.recipient().toString(), nde, ndeVersion }));
      const pt = randomBytes(mib * 1048576);
      const input = pt.slice(); // copied before sampling: transferred (detached) by the call
      const recipients = id.recipient().toString();
      const enc = await sampled(() => w.encrypt(input, { recipients, nde, ndeVersion }, { transfer: true }));
      const envelopeBytes = enc.value.length;
      const dec = await sampled(() => w.decrypt(enc.value, { identities: id.toString() }, { transfer: true }));
      const back = dec.value.plaintext;
      let same = back.length === pt.length;
      for (let i = 0; same && i < pt.length; i++) same = back[i] === pt[i];
      return {
        same,
        envelopeBytes,
        info: dec.value.info?.nde ?? null,
        warmUp: { ms: warm.ms, longestTickGapMs: warm.longestTickGapMs, longestFrameGapMs: warm.longestFrameGapMs, frames: warm.frames },
        encrypt: { ms: enc.ms, longestTickGapMs: enc.longestTickGapMs, longestFrameGapMs: enc.longestFrameGapMs, frames: enc.frames },
        decrypt: { ms: dec.ms, longestTickGapMs: dec.longestTickGapMs, longestFrameGapMs: dec.longestFrameGapMs, frames: dec.frames },
      };
    } finally {
      w.close();
    }
  },
};

Object.assign(globalThis, { bench });
globalThis.nqcReady = true;
