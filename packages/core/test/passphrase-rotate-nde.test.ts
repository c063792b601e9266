// Passphrase envelopes through core (alone in the header: mixes refused on encrypt and decrypt, one
// generic error for a wrong passphrase) and rotateDataKey's choice of NDE layer for the new envelope.
import { describe, expect, it } from '@jest/globals';
import { encryptEnvelope, FILE_KEY_LENGTH, randomBytes } from '@nqc/container';
import { PassphraseIdentity, PassphraseRecipient, wrapToRecipients } from '@nqc/pql';
import { decrypt, DECRYPT_FAILED_MESSAGE, encrypt, inspect, rotateDataKey, updateRecipients } from '../src/index.js';
import { alice, bob, codeOf, utf8 } from './helpers.js';

const fast = { logN: 10 };
const pw = (p = 'correct horse battery staple') => new PassphraseRecipient(p, fast);

/** An envelope whose header holds a passphrase stanza AND an X-Wing stanza for alice (as no nqc writer makes). */
async function mixedEnvelope(): Promise<Uint8Array> {
  const fileKey = randomBytes(FILE_KEY_LENGTH);
  const stanzas = [...wrapToRecipients(fileKey, [pw()]), ...wrapToRecipients(fileKey, [alice.recipient()])];
  return encryptEnvelope(utf8('mixed'), { fileKey, stanzas });
}

describe('passphrase envelopes', () => {
  it('round trip, and a wrong passphrase gives the one generic decryption error', async () => {
    const env = await encrypt(utf8('secret'), { recipients: pw(), nde: 'off' });
    expect((await inspect(env)).recipients.map((r) => r.type)).toEqual(['scrypt']);
    expect(new TextDecoder().decode((await decrypt(env, { identities: new PassphraseIdentity('correct horse battery staple') })).plaintext)).toBe('secret');
    const e = await decrypt(env, { identities: new PassphraseIdentity('wrong') }).catch((x: unknown) => x as Error & { code: string });
    expect((e as { code: string }).code).toBe('ERR_FORMAT_DECRYPT_FAILED');
    expect((e as Error).message).toBe(DECRYPT_FAILED_MESSAGE);
    // a KEM identity finds nothing for it: same error
    expect(await codeOf(() => decrypt(env, { identities: alice }))).toBe('ERR_FORMAT_DECRYPT_FAILED');
  });

  it('refuses a passphrase recipient next to any other recipient (encrypt, rekey, rotate)', async () => {
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: [pw(), alice], nde: 'off' }))).toBe('ERR_CORE_RECIPIENT_MIX');
    expect(await codeOf(() => encrypt(utf8('x'), { recipients: [alice, pw()], nde: 'off' }))).toBe('ERR_CORE_RECIPIENT_MIX');
    const env = await encrypt(utf8('x'), { recipients: alice, nde: 'off' });
    expect(await codeOf(() => updateRecipients(env, { identities: alice, recipients: [bob, pw()] }))).toBe('ERR_CORE_RECIPIENT_MIX');
    expect(await codeOf(() => rotateDataKey(env, { identities: alice, recipients: [pw(), bob] }))).toBe('ERR_CORE_RECIPIENT_MIX');
    // alone it is fine, and rekey to a passphrase works
    const re = await updateRecipients(env, { identities: alice, recipients: pw('p2') });
    expect((await decrypt(re, { identities: new PassphraseIdentity('p2') })).plaintext).toEqual(utf8('x'));
  });

  it('refuses to open an envelope whose passphrase stanza is not alone, whatever the identity', async () => {
    const env = await mixedEnvelope();
    expect(await codeOf(() => decrypt(env, { identities: alice }))).toBe('ERR_CORE_RECIPIENT_MIX');
    expect(await codeOf(() => decrypt(env, { identities: new PassphraseIdentity('correct horse battery staple') }))).toBe('ERR_CORE_RECIPIENT_MIX');
    expect(await codeOf(() => updateRecipients(env, { identities: alice, recipients: bob }))).toBe('ERR_CORE_RECIPIENT_MIX');
  });
});

describe('rotateDataKey newNde', () => {
  const hasNde = async (env: Uint8Array) => (await inspect(env)).nde !== null;

  it("keeps the old envelope's NDE layer by default, and turns it off or on on request", async () => {
    const plain = utf8('rotate me');
    const withNde = await encrypt(plain, { recipients: alice, nde: 'reference' });
    const without = await encrypt(plain, { recipients: alice, nde: 'off' });
    expect(await hasNde(withNde)).toBe(true);
    expect(await hasNde(without)).toBe(false);

    const kept = await rotateDataKey(withNde, { identities: alice, recipients: bob, nde: 'reference' });
    expect(await hasNde(kept)).toBe(true);
    const off = await rotateDataKey(withNde, { identities: alice, recipients: bob, nde: 'reference', newNde: 'off' });
    expect(await hasNde(off)).toBe(false);
    expect((await decrypt(off, { identities: bob, nde: 'off' })).plaintext).toEqual(plain);
    const on = await rotateDataKey(without, { identities: alice, recipients: bob, nde: 'reference', newNde: 'on' });
    expect(await hasNde(on)).toBe(true);
    expect((await decrypt(on, { identities: bob, nde: 'reference' })).plaintext).toEqual(plain);
    expect(await hasNde(await rotateDataKey(without, { identities: alice, recipients: bob, newNde: 'keep' }))).toBe(false);
  }, 120_000);

  it('refuses a bad newNde before decrypting', async () => {
    const env = await encrypt(utf8('x'), { recipients: alice, nde: 'off' });
    expect(await codeOf(() => rotateDataKey(env, { identities: alice, recipients: bob, newNde: 'auto' as never }))).toBe('ERR_CORE_INVALID_ARGUMENT');
  });
});

describe('rotateDataKeyFile newNde', () => {
  it('writes the new envelope without the NDE layer with newNde: off', async () => {
    const { mkdtemp, readFile, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const node = await import('../src/node.js');
    const dir = await mkdtemp(join(tmpdir(), 'nqc-rotate-nde-'));
    try {
      const plain = utf8('file rotate');
      await writeFile(join(dir, 'a.nqc'), await node.encrypt(plain, { recipients: alice, nde: 'reference' }));
      await node.rotateDataKeyFile(join(dir, 'a.nqc'), join(dir, 'b.nqc'), { identities: alice, recipients: bob, nde: 'reference', newNde: 'off' });
      const out = new Uint8Array(await readFile(join(dir, 'b.nqc')));
      expect((await inspect(out)).nde).toBeNull();
      expect((await decrypt(out, { identities: bob, nde: 'off' })).plaintext).toEqual(plain);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
