// The security review's findings on @nqc/core, each reproduced: a test here failed before its fix.
import { describe, it, expect, afterAll } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource, encryptEnvelope, randomBytes, verifyEnvelopeSignature, type HeSection } from '@nqc/container';
import { DEFAULT_SIGNATURE_CONTEXT, ENVELOPE_SIGNATURE_CONTEXT, VerifyingKey, wrapToRecipients, type Signer } from '@nqc/pql';
import { writeIdentityFile } from '@nqc/pql/node';
import { decrypt as decryptWeb, encrypt as encryptWeb, inspect, rotateDataKey } from '../src/index.js';
import { createDecryptTransform, decrypt, decryptFile, encrypt, inspect as inspectNode, loadIdentities, rotateDataKeyFile } from '../src/node.js';
import { alice, bob, carol, codeOf, collect, hex, mallory, seeded, signer, streamOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nqc-core-hard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('#2 streaming decryption with requireSigner', () => {
  it('refuses stream input unless allowUnverifiedOutput: true (Web and Node)', async () => {
    const env = await encrypt(seeded('s2', 1000), { recipients: alice.recipient(), signer, nde: 'off', chunkSize: 64 });
    expect(await codeOf(() => decryptWeb(streamOf(env), { identities: alice, requireSigner: signer }))).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(await codeOf(() => decrypt(streamOf(env), { identities: alice, requireSigner: signer }))).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(await codeOf(() => createDecryptTransform({ identities: alice, requireSigner: signer }))).toBe('ERR_CORE_INVALID_ARGUMENT');
  });

  it('with the opt-in, info hides the unverified signer and done reports the verified one', async () => {
    const pt = seeded('s2b', 1000);
    const env = await encrypt(pt, { recipients: alice.recipient(), signer, nde: 'off', chunkSize: 64 });
    const r = decryptWeb(streamOf(env, 100), { identities: alice, requireSigner: signer, allowUnverifiedOutput: true });
    const out = collect(r.stream);
    expect((await r.info).signer).toBeNull();
    expect(hex(await out)).toBe(hex(pt));
    expect((await r.done).signer?.keyId).toBe(signer.keyId);
    const d = createDecryptTransform({ identities: alice, requireSigner: signer, allowUnverifiedOutput: true, nde: 'off' });
    d.transform.end(Buffer.from(env));
    d.transform.resume();
    expect((await d.info).signer).toBeNull();
    expect((await d.done).signer?.keyId).toBe(signer.keyId);
    // without requireSigner, info shows the claimed signer (documented as unverified until done)
    const u = decryptWeb(streamOf(env), { identities: alice });
    const uout = collect(u.stream);
    expect((await u.info).signer?.keyId).toBe(signer.keyId);
    await uout;
  });

  it('the bytes API and decryptFile need no opt-in and report the verified signer', async () => {
    const pt = seeded('s2c', 5000);
    const env = await encrypt(pt, { recipients: alice.recipient(), signer, nde: 'off', chunkSize: 64 });
    const r = await decrypt(env, { identities: alice, requireSigner: signer });
    expect([r.signer?.keyId, r.info.signer?.keyId]).toEqual([signer.keyId, signer.keyId]);
    writeFileSync(join(dir, 's2.nqc'), env);
    const f = await decryptFile(join(dir, 's2.nqc'), join(dir, 's2.out'), { identities: alice, requireSigner: signer, nde: 'off' });
    expect(f.signer?.keyId).toBe(signer.keyId);
    expect(hex(readFileSync(join(dir, 's2.out')))).toBe(hex(pt));
  });
});

describe('#4 envelope signatures use their own context', () => {
  it('a signature under the default context (an app signing oracle) does not verify as an envelope signature', async () => {
    const oracle: Signer = { algorithm: signer.algorithm, publicKey: signer.publicKey, keyId: signer.keyId, sign: (m) => signer.sign(m) };
    const env = await encrypt(seeded('s4', 100), { recipients: alice.recipient(), signer: oracle, nde: 'off' });
    expect(await codeOf(() => decrypt(env, { identities: alice, requireSigner: signer }))).toBe('ERR_FORMAT_SIGNATURE_INVALID');
    expect(await codeOf(() => decrypt(env, { identities: alice }))).toBe('ERR_FORMAT_SIGNATURE_INVALID');
  });

  it('core signs the transcript under nqc/v1/envelope, not nqc/v1/sig', async () => {
    const env = await encrypt(seeded('s4b', 100), { recipients: alice.recipient(), signer, nde: 'off' });
    const check = (context: Uint8Array) => (s: { alg: string; key: Uint8Array }, t: Uint8Array, sig: Uint8Array) => new VerifyingKey(s.alg, s.key).verify(sig, t, { context });
    expect(await codeOf(() => verifyEnvelopeSignature(bytesSource(env), check(ENVELOPE_SIGNATURE_CONTEXT)))).toBe('NO_ERROR');
    expect(await codeOf(() => verifyEnvelopeSignature(bytesSource(env), check(DEFAULT_SIGNATURE_CONTEXT)))).toBe('ERR_FORMAT_SIGNATURE_INVALID');
  });
});

const heOf = (label: string): HeSection => ({
  metadata: new TextEncoder().encode('{"v":1}'),
  entries: [{ path: 'amount', part: 0, scheme: 'bfv', paramsId: seeded(`${label}/p`, 8), keyId: seeded(`${label}/k`, 8), layout: 'record', count: 1, ciphertext: seeded(`${label}/ct`, 200) }],
});
async function heEnvelope(label: string, pt: Uint8Array, signed: boolean) {
  const fileKey = randomBytes(32);
  const { containerSigner } = await import('../src/keys.js');
  return encryptEnvelope(pt, { fileKey, stanzas: wrapToRecipients(fileKey, [alice.recipient()]), he: heOf(label), signer: signed ? containerSigner(signer) : undefined });
}

describe('#3 rotateDataKeyFile builds the new envelope from the authenticated header', () => {
  it('a file swapped between the header read and the decrypt pass is refused, nothing written', async () => {
    const legit = await heEnvelope('legit', seeded('legit', 300), true);
    const evil = await heEnvelope('evil', seeded('evil', 300), false); // attacker's HE, encrypted to alice
    const inPath = join(dir, 'swap.nqc');
    const outPath = join(dir, 'swap.out.nqc');
    writeFileSync(inPath, evil); // the first (unauthenticated) read sees the attacker's HE section
    const c = carol.recipient();
    // wrapFileKey runs between the two reads: the file is put back to the legitimate envelope there
    const swapping = { postQuantum: true, wrapFileKey: (fk: Uint8Array) => (writeFileSync(inPath, legit), c.wrapFileKey(fk)) };
    const code = await codeOf(() => rotateDataKeyFile(inPath, outPath, { identities: alice, recipients: swapping, signer, nde: 'auto' }));
    // Before the fix: NO_ERROR, and outPath held legit's plaintext with evil's HE section, signed by `signer`.
    expect(code).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(existsSync(outPath)).toBe(false);
  });

  it('an unchanged file rotates, keeping the authenticated HE section', async () => {
    const legit = await heEnvelope('legit2', seeded('legit2', 300), true);
    writeFileSync(join(dir, 'ok.nqc'), legit);
    await rotateDataKeyFile(join(dir, 'ok.nqc'), join(dir, 'ok.out.nqc'), { identities: alice, recipients: bob.recipient(), signer, requireSigner: signer });
    const out = new Uint8Array(readFileSync(join(dir, 'ok.out.nqc')));
    const r = await decrypt(out, { identities: bob, requireSigner: signer });
    expect(hex(r.plaintext)).toBe(hex(seeded('legit2', 300)));
    expect(r.info.he?.fields.map((f) => f.path)).toEqual(['amount']);
  });
});

describe('#6 rotateDataKey: requireSigner and checkHe before re-signing', () => {
  it('refuses to re-sign content not signed by a required key', async () => {
    const byMallory = await encryptWeb(seeded('s6', 100), { recipients: alice.recipient(), signer: mallory, nde: 'off' });
    const unsigned = await encryptWeb(seeded('s6', 100), { recipients: alice.recipient(), nde: 'off' });
    const opts = { identities: alice, recipients: bob.recipient(), signer, requireSigner: signer };
    expect(await codeOf(() => rotateDataKey(byMallory as Uint8Array, opts))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    expect(await codeOf(() => rotateDataKey(unsigned as Uint8Array, { ...opts, signer: null }))).toBe('ERR_FORMAT_SIGNATURE_REQUIRED');
    writeFileSync(join(dir, 'm.nqc'), byMallory as Uint8Array);
    expect(await codeOf(() => rotateDataKeyFile(join(dir, 'm.nqc'), join(dir, 'm.out'), opts))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    expect(existsSync(join(dir, 'm.out'))).toBe(false);
    const bySigner = await encryptWeb(seeded('s6', 100), { recipients: alice.recipient(), signer, nde: 'off' });
    const rotated = await rotateDataKey(bySigner as Uint8Array, opts);
    expect((await decrypt(rotated, { identities: bob, requireSigner: signer })).plaintext.length).toBe(100);
  });

  it('checkHe sees the HE section and can refuse it', async () => {
    const env = await heEnvelope('chk', seeded('chk', 50), true);
    const seen: (string | undefined)[] = [];
    const checkHe = (he: HeSection | undefined) => (seen.push(he?.entries[0]?.path), false);
    expect(await codeOf(() => rotateDataKey(env, { identities: alice, recipients: bob.recipient(), signer, checkHe }))).toBe('ERR_CORE_HE_FIELD');
    writeFileSync(join(dir, 'chk.nqc'), env);
    expect(await codeOf(() => rotateDataKeyFile(join(dir, 'chk.nqc'), join(dir, 'chk.out'), { identities: alice, recipients: bob.recipient(), signer, checkHe }))).toBe('ERR_CORE_HE_FIELD');
    expect(seen).toEqual(['amount', 'amount']);
    expect(await codeOf(() => rotateDataKey(env, { identities: alice, recipients: bob.recipient(), signer, checkHe: () => true }))).toBe('NO_ERROR');
  });
});

describe('#5 inspect on streams is bounded', () => {
  it('a large header in small pieces is concatenated once (was quadratic)', async () => {
    const fileKey = randomBytes(32);
    const big: HeSection = { ...heOf('big'), entries: [{ ...heOf('big').entries[0]!, ciphertext: new Uint8Array(8 << 20) }] };
    const env = await encryptEnvelope(new Uint8Array(0), { fileKey, stanzas: wrapToRecipients(fileKey, [alice.recipient()]), he: big });
    // 8 MiB of header in 512-byte pieces: ~16k reads; re-concatenating on each copied ~128 GB.
    const info = await inspect(streamOf(env, 512));
    expect(info.headerLength).toBeGreaterThan(8 << 20);
    expect(info.sizes?.plaintext).toBe(0);
  }, 60_000);

  it('leading whitespace is capped; armor streams through the dearmorer', async () => {
    let pulled = 0;
    const ws = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled++ >= 16 * 1024) c.close(); // 1 GiB of spaces, lazily
        else c.enqueue(new Uint8Array(65536).fill(0x20));
      },
    });
    expect(await codeOf(() => inspect(ws))).toBe('ERR_FORMAT_ARMOR');
    expect(pulled).toBeLessThan(64);
    const env = await encrypt(seeded('s5', 200_000), { recipients: alice.recipient(), nde: 'off', armor: true });
    const text = new TextEncoder().encode(`\n  \n${env}`);
    const info = await inspectNode(streamOf(text, 777));
    expect([info.armored, info.sizes?.plaintext]).toEqual([true, 200_000]);
    expect(await codeOf(() => inspect(streamOf(new TextEncoder().encode(' '.repeat(1025) + env), 100)))).toBe('ERR_FORMAT_ARMOR');
    expect(await codeOf(() => inspect(streamOf(new TextEncoder().encode('  nqc-env'))))).toBe('ERR_FORMAT_MAGIC');
    // pieces shorter than the 12-byte prelude (this used to fail with ERR_FORMAT_TRUNCATED)
    const bin = (await encrypt(seeded('s5c', 10), { recipients: alice.recipient(), nde: 'off' })) as Uint8Array;
    for (const piece of [1, 5, 11]) expect([piece, (await inspect(streamOf(bin, piece))).sizes?.plaintext]).toEqual([piece, 10]);
    expect(await codeOf(() => inspect(streamOf(Uint8Array.of(0x6e, 0x71, 0x78), 1)))).toBe('ERR_FORMAT_MAGIC');
  });
});

describe('#7 loadIdentities: plain or protected, passphrase or not', () => {
  it('a passphrase is used only for a protected file; requireProtected refuses a plain one', async () => {
    await writeIdentityFile(join(dir, 'plain.txt'), { identities: [alice], signingKeys: [signer] });
    await writeIdentityFile(join(dir, 'prot.txt'), { identities: [bob], signingKeys: [] }, { passphrase: 'pw', scrypt: { logN: 10, r: 8, p: 1 } });
    // pql refuses a passphrase for a plain file; loadIdentities promises "plain or protected"
    const plain = await loadIdentities(join(dir, 'plain.txt'), { passphrase: 'pw' });
    expect(plain.identities.length).toBe(1);
    expect((await loadIdentities(join(dir, 'prot.txt'), { passphrase: 'pw' })).identities.length).toBe(1);
    expect(await codeOf(() => loadIdentities(join(dir, 'prot.txt')))).toBe('ERR_PQL_IDENTITY_FILE');
    expect(await codeOf(() => loadIdentities(join(dir, 'prot.txt'), { passphrase: 'nope' }))).toBe('ERR_PQL_BAD_PASSPHRASE');
    expect(await codeOf(() => loadIdentities(join(dir, 'plain.txt'), { passphrase: 'pw', requireProtected: true }))).toBe('ERR_PQL_IDENTITY_FILE');
  });
});
