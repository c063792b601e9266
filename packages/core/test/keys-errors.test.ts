// Key inputs (objects, strings, keysets) and the unified error model.
import { describe, it, expect } from '@jest/globals';
import { Keyset, generateIdentity } from '@nqc/pql';
import { NqcNdeError } from '@nqc/nde';
import { decrypt, encrypt, errorInfo, isNqcError, NqcCoreError, DECRYPT_FAILED_MESSAGE } from '../src/index.js';
import { alice, bob, carol, codeOf, signer, mallory, utf8 } from './helpers.js';

describe('key inputs', () => {
  it('keysets work as recipients, identities, signers and trusted signers; rotation inside a keyset', async () => {
    const ks = Keyset.create();
    ks.import(alice);
    ks.import(signer);
    const env = await encrypt(utf8('k'), { recipients: ks, signer: ks, nde: 'off' });
    const r = await decrypt(env, { identities: ks, requireSigner: ks.publicOnly() });
    expect(r.signer?.keyId).toBe(signer.keyId);
    // a new primary key: old envelopes still open with the (enabled) old key
    const info = ks.import(carol, { primary: true });
    const env2 = await encrypt(utf8('k2'), { recipients: ks, nde: 'off' });
    expect((await decrypt(env2, { identities: carol })).plaintext.length).toBe(2);
    expect((await decrypt(env, { identities: ks })).plaintext.length).toBe(1);
    ks.disable(alice.keyId);
    expect(await codeOf(() => decrypt(env, { identities: ks }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
    expect(info.id).toBe(carol.keyId);
  });

  it('strings: recipient, secret identity, signing key, verifying key', async () => {
    const env = await encrypt(utf8('s'), { recipients: [` ${bob.recipient().toString()}\n`], signer: signer.toString(), nde: 'off' });
    const r = await decrypt(env, { identities: bob.toString(), requireSigner: signer.verifyingKey().toString() });
    expect(r.signer?.verifyingKey).toBe(signer.verifyingKey().toString());
  });

  it('bad keys and options give typed errors', async () => {
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: 'nqc-xwing-1nonsense' }))).toBe('ERR_CORE_KEY');
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: [] }))).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: 42 as never }))).toBe('ERR_CORE_KEY');
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: alice, nde: 'fast' as never }))).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: alice, nde: 'onnx' }))).toBe('ERR_CORE_NDE_UNAVAILABLE');
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: alice, signer: 'NQC-SIGN-SECRET-MLDSA65-1xyz' }))).toBe('ERR_CORE_KEY');
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: alice, chunkSize: 1000, nde: 'off' }))).toBe('ERR_FORMAT_INVALID_ARGUMENT');
    const classical = { postQuantum: false, wrapFileKey: () => [{ type: 'X25519', args: [], body: new Uint8Array(32) }] };
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: [alice.recipient(), classical], nde: 'off' }))).toBe('ERR_PQL_RECIPIENTS');
    const env = await encrypt(utf8('x'), { recipients: alice, nde: 'off' });
    expect(await codeOf(() => decrypt(env, { identities: 'NQC-SECRET-XWING-1bad' }))).toBe('ERR_CORE_KEY');
    expect(await codeOf(() => decrypt(env, { identities: [] }))).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(await codeOf(() => decrypt(env, { identities: alice, requireSigner: [] }))).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(await codeOf(() => decrypt(env, { identities: generateIdentity('mlkem1024') }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
    expect(await codeOf(() => decrypt(utf8('not an envelope'), { identities: alice }))).toBe('ERR_FORMAT_MAGIC');
  });
});

describe('errors', () => {
  it('errorInfo gives one line per layer; every decryption failure has the one generic message', async () => {
    const env = await encrypt(utf8('x'), { recipients: alice, signer: mallory, nde: 'off' });
    const errs: unknown[] = [];
    for (const f of [
      () => decrypt(env, { identities: bob }),
      () => decrypt(env.slice(0, env.length - 1), { identities: alice }),
      () => decrypt(env, { identities: alice, requireSigner: signer }),
      () => encrypt(utf8('x'), { recipients: 'nqc-xwing-1zzz' }),
    ]) {
      try {
        await f();
      } catch (e) {
        errs.push(e);
      }
    }
    const infos = errs.map(errorInfo);
    expect(infos[0]).toEqual({ layer: 'format', code: 'ERR_FORMAT_DECRYPT_FAILED', message: DECRYPT_FAILED_MESSAGE });
    expect(infos[1]!.layer).toBe('format');
    expect(infos[2]).toMatchObject({ layer: 'core', code: 'ERR_CORE_SIGNER_UNTRUSTED' });
    expect(infos[3]).toMatchObject({ layer: 'core', code: 'ERR_CORE_KEY' });
    expect(errs.every(isNqcError)).toBe(true);
    expect(errorInfo(new NqcNdeError('ERR_NDE_CLOSED', 'closed'))).toEqual({ layer: 'nde', code: 'ERR_NDE_CLOSED', message: 'closed' });
    expect(errorInfo(Object.assign(new Error('nope'), { code: 'ENOENT' }))).toEqual({ layer: 'core', code: 'ENOENT', message: 'nope' });
    expect(errorInfo('weird')).toEqual({ layer: 'core', code: 'ERR_INTERNAL', message: 'weird' });
    expect(new NqcCoreError('ERR_CORE_KEY', 'm').name).toBe('NqcCoreError');
  });
});
