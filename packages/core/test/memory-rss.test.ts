// Issue 9 item 1, the real thing: peak RSS of encrypting and decrypting 128 MiB with 16 MiB chunks (the
// format's largest) and the NDE layer on, each in its own child process (built dist). A tier, not the
// default suite: it moves 256 MiB through the ONNX backend (~30-60 s on a busy 2-core machine).
// Run: NQC_CORE_MEMORY=1 pnpm --filter @nqc/core test memory-rss   (or `pnpm test:memory`; build first).
// The cheap always-on variant is memory.test.ts (bytes in flight, no ONNX).
import { describe, it, expect, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = join(import.meta.dirname, '..', 'dist', 'node.js');
const enabled = process.env.NQC_CORE_MEMORY === '1' && existsSync(dist);
const dir = mkdtempSync(join(tmpdir(), 'nqc-rss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` (an ES module body with `core` imported) in a fresh process; returns its peak RSS in MiB. */
function peakRss(body: string): number {
  const script = `import * as core from ${JSON.stringify(dist)};\n${body}\nawait core.closeNde();\nconsole.log(JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!).maxRssMiB as number;
}

(enabled ? describe : describe.skip)('peak RSS with 16 MiB chunks and NDE on (child processes, built dist)', () => {
  it('encrypt then decrypt 128 MiB: RSS bounded, not the size of the payload', () => {
    const env = join(dir, 'big.nqc');
    const prelude = `
      import { createReadStream, createWriteStream, writeFileSync, readFileSync } from 'node:fs';
      import { Readable, Writable } from 'node:stream';
      import { pipeline } from 'node:stream/promises';
      import { randomFillSync } from 'node:crypto';`;
    const enc = peakRss(`${prelude}
      const id = core.generateIdentity();
      writeFileSync(${JSON.stringify(`${env}.key`)}, id.toString(), { mode: 0o600 });
      let sent = 0;
      const src = new Readable({ read() { if (sent >= 128 << 20) return this.push(null); sent += 1 << 20; this.push(randomFillSync(Buffer.allocUnsafe(1 << 20))); } });
      const t = await core.createEncryptTransform({ recipients: id.recipient(), chunkSize: 16 << 20, nde: 'auto' });
      await pipeline(src, t, createWriteStream(${JSON.stringify(env)}));`);
    const dec = peakRss(`${prelude}
      const d = core.createDecryptTransform({ identities: readFileSync(${JSON.stringify(`${env}.key`)}, 'utf8'), nde: 'auto' });
      let out = 0;
      await pipeline(createReadStream(${JSON.stringify(env)}), d.transform, new Writable({ write(c, _e, cb) { out += c.length; cb(); } }));
      await d.done;
      if (out !== 128 << 20) throw new Error('wrong length ' + out);`);
    console.log(`128 MiB, 16 MiB chunks, NDE auto: peak RSS encrypt ${enc.toFixed(0)} MiB, decrypt ${dec.toFixed(0)} MiB`);
    // Before issue 9: ~1,390 MiB encrypt, ~1,180 MiB decrypt (the whole payload and more). With the
    // envelope bounded in bytes: 198-388 MiB decrypt, 326-354 MiB encrypt (~66 MiB of that was
    // onnxruntime's working set for one 16 MiB session.run). With @nqc/nde's 1 MiB segments and prompt
    // buffer release: 182-287 MiB decrypt, 243-295 MiB encrypt on a loaded 2-core machine (README,
    // Memory), of which ~135 MiB is Node + the ONNX runtime and its two workers. Decryption (the
    // issue's case: the sender picks the chunk size) is held to the issue's 300 MiB. Encryption in this
    // child peaks at 292-295 MiB (its generated source; 243-246 MiB from a file): too close to 300 to
    // assert it without flakiness, so 330 catches a chunk-sized regression (what is left is the
    // container's sequential encrypt path, which holds the pending input, the chunk, its NDE output and
    // its sealed bytes at once).
    expect(dec).toBeLessThan(300);
    expect(enc).toBeLessThan(330);
  }, 600_000);
});
