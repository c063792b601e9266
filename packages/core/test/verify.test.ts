// Keyless signature verification before decryption: verifySignature (bytes, armor, sources) and
// verifySignatureFile, with decrypt's trust rule (requireSigner).
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource, encrypt, verifySignature, verifySignatureFile } from '../src/node.js';
import { alice, codeOf, mallory, seeded, signer } from './helpers.js';

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
