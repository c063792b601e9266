// Issue 9 item 9: updateRecipients (rekey) of a truncated or extended envelope used to succeed, because
// it rewrote the header only. It now checks the payload framing first (sizes, and the final chunk
// under the file key, one chunk of AEAD): every cut or extension below is refused, with no output.
import { describe, it, expect, afterAll } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHeader } from '@nqc/container';
import { decrypt, encrypt, updateRecipients, updateRecipientsFile } from '../src/node.js';
import { alice, bob, codeOf, hex, seeded, signer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nqc-framing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 3 chunks of 1 KiB plaintext: 1024 + 1024 + 952 bytes (each + 16-byte tag).
const pt = seeded('framing', 3000);
const full = 1024 + 16;

describe('updateRecipients checks the payload framing', () => {
  for (const [name, opts] of [
    ['unsigned, NDE off', { nde: 'off' as const }],
    ['signed, NDE (reference)', { nde: 'reference' as const, signer }],
  ] as const) {
    it(`${name}: truncations and extensions are refused; the intact envelope is re-wrapped`, async () => {
      const env = await encrypt(pt, { recipients: alice, chunkSize: 1024, ...opts });
      const headerLength = parseHeader(env).length;
      // Sizes alone give TRUNCATED / EMPTY_LAST_CHUNK; a consistent size with a wrong end fails the
      // final chunk's tag (DECRYPT_FAILED). Which one depends on where the cut falls (and the trailer).
      const refused = /^(.*): ERR_FORMAT_(DECRYPT_FAILED|TRUNCATED|EMPTY_LAST_CHUNK)$/;
      const cuts: [string, Uint8Array][] = [
        ['one byte short', env.subarray(0, env.length - 1)],
        ['final chunk dropped (cut at a chunk boundary)', env.subarray(0, headerLength + 2 * full)],
        ['final chunk and trailer dropped', env.subarray(0, headerLength + 2 * full + ('signer' in opts ? 0 : -full))],
        ['one byte too many', Uint8Array.from([...env, 0])],
        ['payload cut inside the first tag', env.subarray(0, headerLength + 10)],
      ];
      for (const [what, bad] of cuts) {
        expect(`${what}: ${await codeOf(() => updateRecipients(bad, { identities: alice, recipients: bob }))}`).toMatch(refused);
        writeFileSync(join(dir, 'bad.nqc'), bad);
        expect(`${what}: ${await codeOf(() => updateRecipientsFile(join(dir, 'bad.nqc'), join(dir, 'out.nqc'), { identities: alice, recipients: bob }))}`).toMatch(refused);
        expect(existsSync(join(dir, 'out.nqc'))).toBe(false);
      }
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const good = await updateRecipients(env, { identities: alice, recipients: bob });
      expect(hex((await decrypt(good, { identities: bob, nde: opts.nde })).plaintext)).toBe(hex(pt));
      writeFileSync(join(dir, 'good.nqc'), env);
      await updateRecipientsFile(join(dir, 'good.nqc'), join(dir, 'good2.nqc'), { identities: alice, recipients: bob });
      expect(existsSync(join(dir, 'good2.nqc'))).toBe(true);
      rmSync(join(dir, 'good2.nqc'));
    }, 60_000);
  }

  it('armored envelopes are checked the same way', async () => {
    const env = await encrypt(pt, { recipients: alice, chunkSize: 1024, nde: 'off', armor: true });
    const lines = env.trimEnd().split('\n');
    // Drop the last full base64 line before the END line: the payload loses 48 bytes.
    const cut = [...lines.slice(0, -3), lines[lines.length - 2], lines[lines.length - 1]].join('\n') + '\n';
    expect(await codeOf(() => updateRecipients(cut, { identities: alice, recipients: bob }))).toMatch(/^ERR_FORMAT_(DECRYPT_FAILED|ARMOR)$/);
    expect(typeof (await updateRecipients(env, { identities: alice, recipients: bob }))).toBe('string');
  }, 60_000);
});
