import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { Dearmorer, encrypt, generateIdentity, generateSigningKey } from '@nqc/core/node';
import type { CliContext } from '../src/context.js';
import { verifiedInput } from '../src/io/verified-input.js';

// decrypt --verify FILE: the bytes decrypted must be the bytes that verified, whatever happens to
// the path between the signature pass and the decryption pass (issue 9 review, F1 and F2).

const dir = mkdtempSync(join(tmpdir(), 'nqc-verified-input-'));
const ctx: CliContext = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), debug: false, cwd: dir };
const alice = generateIdentity();
const bob = generateSigningKey();
const eve = generateSigningKey();
const bobKey = bob.verifyingKey().toString();

let counter = 0;
function file(bytes: Uint8Array | string, mode = 0o600): string {
  const p = join(dir, `f${counter++}.nqc`);
  writeFileSync(p, bytes, { mode });
  chmodSync(p, mode);
  return p;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const c of stream) pieces.push(c as Buffer);
  return Buffer.concat(pieces);
}

describe('verifiedInput', () => {
  let good: Uint8Array;
  let evil: Uint8Array;
  it('setup: a genuine envelope by bob, another one by eve', async () => {
    good = await encrypt(new Uint8Array(300_000).fill(0x47), { recipients: alice.recipient(), signer: bob });
    evil = await encrypt(new Uint8Array(300_000).fill(0x45), { recipients: alice.recipient(), signer: eve });
    expect(Buffer.compare(Buffer.from(good), Buffer.from(evil))).not.toBe(0);
  }, 60_000);

  it('a file renamed over the path after the signature pass is not what gets decrypted (fails on the old code: it reopened the path)', async () => {
    const path = file(good);
    const replacement = file(evil);
    const v = await verifiedInput(ctx, path, [bobKey]);
    try {
      renameSync(replacement, path); // between the passes: the attacker's envelope now has the name
      const decrypted = await readAll(v.input.stream);
      expect(decrypted.equals(Buffer.from(good))).toBe(true);
      await v.finish();
    } finally {
      v.dispose();
    }
  }, 60_000);

  it('a file changed in place after the signature pass is refused at the end', async () => {
    const path = file(good);
    const v = await verifiedInput(ctx, path, [bobKey]);
    try {
      writeFileSync(path, evil.subarray(0, 1000));
      await readAll(v.input.stream).catch(() => undefined);
      await expect(v.finish()).rejects.toMatchObject({ code: 'ERR_CLI_INPUT_CHANGED' });
    } finally {
      v.dispose();
    }
  }, 60_000);

  it('a file others may write (mode 0666) is verified and decrypted from a private copy of its ciphertext', async () => {
    const path = file(good, 0o666);
    const v = await verifiedInput(ctx, path, [bobKey]);
    try {
      writeFileSync(path, evil); // rewritten in place after the signature pass
      const decrypted = await readAll(v.input.stream);
      expect(decrypted.equals(Buffer.from(good))).toBe(true);
      await v.finish();
    } finally {
      v.dispose();
    }
  }, 60_000);

  it('refuses an envelope by an untrusted signer before returning anything', async () => {
    await expect(verifiedInput(ctx, file(evil), [bobKey])).rejects.toMatchObject({ code: 'ERR_CORE_SIGNER_UNTRUSTED' });
  }, 60_000);

  // F2: FORMAT.md section 9 allows up to 1024 whitespace bytes before the armor BEGIN line; the old
  // code looked at 64 bytes only and called 64 or more spaces "bad magic".
  it.each([0, 63, 64, 1000, 1024])('armor after %i whitespace bytes verifies', async (n) => {
    const armored = await encrypt(new Uint8Array(1000).fill(0x41), { recipients: alice.recipient(), signer: bob, armor: true });
    const v = await verifiedInput(ctx, file(' '.repeat(n) + armored), [bobKey]);
    try {
      expect(v.signer.keyId).toBe(bob.keyId);
      const binary = await readAll(v.input.stream); // dearmored into the spool
      const d = new Dearmorer();
      expect(binary.equals(Buffer.concat([...d.push(Buffer.from(armored)), ...d.finish()]))).toBe(true);
    } finally {
      v.dispose();
    }
  }, 60_000);

  it('armor after 1025 whitespace bytes is refused as armor', async () => {
    const armored = await encrypt(new Uint8Array(1000).fill(0x41), { recipients: alice.recipient(), signer: bob, armor: true });
    await expect(verifiedInput(ctx, file(' '.repeat(1025) + armored), [bobKey])).rejects.toMatchObject({ code: 'ERR_FORMAT_ARMOR' });
  }, 60_000);
});
