// The page of the browser tier: @nqc/core (browser entry), @nqc/she and the worker client, exposed on
// `window` for the tests (page.evaluate), plus byte helpers. Bundled by esbuild like an app would.
import * as core from '@nqc/core';
import * as she from '@nqc/she';
import { NqcWorkerClient } from '@nqc/core/worker-client';

const helpers = {
  /** @param {Uint8Array} b */
  toB64(b) {
    let s = '';
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    return btoa(s);
  },
  /** @param {string} s */
  fromB64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  },
  /** Deterministic test bytes. @param {number} n @param {number} seed */
  bytes(n, seed = 1) {
    const out = new Uint8Array(n);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  },
  /** A ReadableStream of `b` in pieces. */
  streamOf(b, piece = 65_536) {
    let o = 0;
    return new ReadableStream({ pull(c) { if (o >= b.length) return c.close(); c.enqueue(b.slice(o, o + piece)); o += piece; } });
  },
  async collect(s) {
    const parts = [];
    const r = s.getReader();
    for (;;) { const { done, value } = await r.read(); if (done) break; parts.push(value); }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  },
  equal(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  },
  /** Runs `f` while sampling the main thread every 5 ms; returns its value, the time and the longest stall. */
  async timed(f) {
    let last = performance.now();
    let longest = 0;
    const t = setInterval(() => { const now = performance.now(); longest = Math.max(longest, now - last); last = now; }, 5);
    const t0 = performance.now();
    try {
      const value = await f();
      const ms = performance.now() - t0;
      const now = performance.now();
      longest = Math.max(longest, now - last);
      return { value, ms, longestStallMs: longest };
    } finally {
      clearInterval(t);
    }
  },
  newWorkerClient() {
    return new NqcWorkerClient(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
  },
};

Object.assign(globalThis, { core, she, helpers });
globalThis.nqcReady = true;
