// Keyless signature verification before decryption: verifySignature (bytes, armor, sources) and
// verifySignatureFile, with decrypt's trust rule (requireSigner).
import { afterAll, describe, expect, it } from '@jest/globals';
import { armor } from '@nqc/container';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource, encrypt, updateRecipients, verifySignature, verifySignatureFile } from '../src/node.js';
import { alice, bob, codeOf, hex, mallory, seeded, signer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nqc-core-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pt = seeded('verify', 150_000);
const options = { recipients: [alice.recipient()], nde: 'off' as const, chunkSize: 65536 };

describe('verifySignature / verifySignatureFile', () => {
  it('verifies without a key, names the signer, and applies requireSigner', async () => {
    const env = await encrypt(pt, { ...options, signer });
    const trusted = signer.verifyingKey().toString();
    for (const input of [env, bytesSource(env)]) {
      const { signer: s } = await verifySignature(input, { requireSigner: trusted });
      expect(s.verifyingKey).toBe(trusted);
    }
    expect((await verifySignature(await encrypt(pt, { ...options, signer, armor: true }))).signer.keyId).toBe(signer.verifyingKey().keyId);
    expect(await codeOf(() => verifySignature(env, { requireSigner: mallory.verifyingKey() }))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    writeFileSync(join(dir, 'a.nqc'), env);
    expect((await verifySignatureFile(join(dir, 'a.nqc'), { requireSigner: [mallory.verifyingKey(), trusted] })).signer.verifyingKey).toBe(trusted);
  });

  it('returns the transcript the signature covers: the same for armor, re-wrapped stanzas and the file; another for other content', async () => {
    const env = await encrypt(pt, { ...options, signer });
    const { transcript } = await verifySignature(env);
    expect(transcript.length).toBe(32);
    const rewrapped = await updateRecipients(env, { identities: alice, recipients: [alice.recipient(), bob.recipient()] });
    expect(hex(rewrapped)).not.toBe(hex(env));
    writeFileSync(join(dir, 'w.nqc'), rewrapped);
    const others = [await verifySignature(armor(env)), await verifySignature(`\r\n  ${armor(env).replaceAll('\n', '\r\n')}`), await verifySignature(rewrapped), await verifySignature(bytesSource(rewrapped)), await verifySignatureFile(join(dir, 'w.nqc'))];
    for (const o of others) expect(hex(o.transcript)).toBe(hex(transcript));
    const again = await encrypt(pt, { ...options, signer }); // same plaintext, fresh salt and file key
    expect(hex((await verifySignature(again)).transcript)).not.toBe(hex(transcript));
  });

  it('refuses unsigned, tampered ciphertext and armored files', async () => {
    const unsigned = await encrypt(pt, options);
    expect(await codeOf(() => verifySignature(unsigned))).toBe('ERR_FORMAT_SIGNATURE_REQUIRED');
    const env = await encrypt(pt, { ...options, signer });
    const tampered = env.slice();
    tampered[env.length - 5000]! ^= 1; // payload ciphertext: no key needed to notice
    expect(await codeOf(() => verifySignature(tampered))).toBe('ERR_FORMAT_SIGNATURE_INVALID');
    writeFileSync(join(dir, 't.nqc'), tampered);
    expect(await codeOf(() => verifySignatureFile(join(dir, 't.nqc')))).toBe('ERR_FORMAT_SIGNATURE_INVALID');
    writeFileSync(join(dir, 'a.txt'), await encrypt(pt, { ...options, signer, armor: true }));
    expect(await codeOf(() => verifySignatureFile(join(dir, 'a.txt')))).toBe('ERR_CORE_INVALID_ARGUMENT');
  });
});
