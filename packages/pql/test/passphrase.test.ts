// Passphrase (scrypt) recipients: round trip, wrong passphrase, stanza alone, bounded work factor,
// strict stanza shape, and a pinned known-answer vector.
import { describe, expect, it } from '@jest/globals';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  generateIdentity,
  hasPassphraseStanza,
  NqcPqlError,
  PassphraseIdentity,
  PassphraseRecipient,
  registerKem,
  getKem,
  wrapToRecipients,
  type Stanza,
} from '../src/index.js';
import { _wrapPassphrase } from '../src/passphrase.js';

const seq = (n: number, start: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const FK = seq(32, 0xa0);
const fast = { logN: 10 };

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof NqcPqlError ? e.code : `not a pql error: ${String(e)}`;
  }
  return undefined;
}

describe('PassphraseRecipient / PassphraseIdentity', () => {
  it('round trips, and the stanza has the documented shape', () => {
    const stanzas = wrapToRecipients(FK, [new PassphraseRecipient('correct horse', fast)]);
    expect(stanzas).toHaveLength(1);
    const [s] = stanzas as [Stanza];
    expect(s.type).toBe('scrypt');
    expect(s.args[0]).toMatch(/^[A-Za-z0-9+/]{22}$/);
    expect(s.args[1]).toBe('10');
    expect(s.body).toHaveLength(48);
    expect(hasPassphraseStanza(stanzas)).toBe(true);
    expect(new PassphraseIdentity('correct horse').unwrapFileKey(stanzas)).toEqual(FK);
  });

  it('normalises the passphrase to NFC', () => {
    const stanzas = wrapToRecipients(FK, [new PassphraseRecipient('caf\u00e9', fast)]);
    expect(new PassphraseIdentity('cafe\u0301').unwrapFileKey(stanzas)).toEqual(FK);
  });

  it('a wrong passphrase is "not mine" (null), not an error', () => {
    const stanzas = wrapToRecipients(FK, [new PassphraseRecipient('correct horse', fast)]);
    expect(new PassphraseIdentity('correct horsf').unwrapFileKey(stanzas)).toBeNull();
  });

  it('ignores envelopes without a passphrase stanza', () => {
    const stanzas = wrapToRecipients(FK, [generateIdentity().recipient()]);
    expect(hasPassphraseStanza(stanzas)).toBe(false);
    expect(new PassphraseIdentity('x').unwrapFileKey(stanzas)).toBeNull();
  });

  it('refuses to write a passphrase stanza next to any other stanza', () => {
    const pw = new PassphraseRecipient('pw', fast);
    const kem = generateIdentity().recipient();
    expect(code(() => wrapToRecipients(FK, [pw, kem]))).toBe('ERR_PQL_RECIPIENTS');
    expect(code(() => wrapToRecipients(FK, [kem, pw]))).toBe('ERR_PQL_RECIPIENTS');
    expect(code(() => wrapToRecipients(FK, [pw, pw]))).toBe('ERR_PQL_RECIPIENTS');
  });

  it('refuses to read a passphrase stanza next to another stanza (before scrypt)', () => {
    const [pw] = wrapToRecipients(FK, [new PassphraseRecipient('pw', fast)]);
    const [kem] = wrapToRecipients(FK, [generateIdentity().recipient()]);
    expect(code(() => new PassphraseIdentity('pw').unwrapFileKey([kem!, pw!]))).toBe('ERR_PQL_STANZA_MALFORMED');
    expect(code(() => new PassphraseIdentity('pw').unwrapFileKey([pw!, pw!]))).toBe('ERR_PQL_STANZA_MALFORMED');
  });

  it('refuses a hostile work factor before any scrypt work', () => {
    const [s] = wrapToRecipients(FK, [new PassphraseRecipient('pw', fast)]) as [Stanza];
    for (const ln of ['19', '20', '30', '64', '9', '0', '010', '+17', '1e1', '17.0']) {
      const t0 = process.hrtime.bigint();
      expect(code(() => new PassphraseIdentity('pw').unwrapFileKey([{ ...s, args: [s.args[0]!, ln] }]))).toBe('ERR_PQL_STANZA_MALFORMED');
      // No scrypt ran: ln=30 would need 128 GiB (noble would also refuse via maxmem). Not a speed
      // assertion, only a sanity bound far above a refusal's cost.
      expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(5_000);
    }
  });

  it('checks the body length and arguments exactly', () => {
    const [s] = wrapToRecipients(FK, [new PassphraseRecipient('pw', fast)]) as [Stanza];
    const id = new PassphraseIdentity('pw');
    const variants: Stanza[] = [
      { ...s, body: s.body.subarray(0, 47) },
      { ...s, body: new Uint8Array([...s.body, 0]) },
      { ...s, args: [s.args[0]!] },
      { ...s, args: [...s.args, 'x'] },
      { ...s, args: [`${s.args[0]!}==`, s.args[1]!] },
      { ...s, args: ['AAAA', s.args[1]!] },
      { ...s, args: [s.args[0]!.slice(0, 21) + '!', s.args[1]!] },
    ];
    for (const v of variants) expect(code(() => id.unwrapFileKey([v]))).toBe('ERR_PQL_STANZA_MALFORMED');
  });

  it('refuses bad constructor arguments', () => {
    expect(code(() => new PassphraseRecipient(''))).toBe('ERR_PQL_INVALID_INPUT');
    expect(code(() => new PassphraseIdentity(''))).toBe('ERR_PQL_INVALID_INPUT');
    expect(code(() => new PassphraseRecipient('pw', { logN: 19 }))).toBe('ERR_PQL_INVALID_INPUT');
    expect(code(() => new PassphraseRecipient('pw', { logN: 9 }))).toBe('ERR_PQL_INVALID_INPUT');
    expect(code(() => new PassphraseRecipient('pw', fast).wrapFileKey(new Uint8Array(31)))).toBe('ERR_PQL_INVALID_INPUT');
  });

  it('reserves the stanza type "scrypt" in the registry', () => {
    expect(code(() => registerKem({ ...getKem('xwing'), id: 'scrypt', label: 'nqc/v1/pql/scrypt' }))).toBe('ERR_PQL_REGISTRY');
  });

  it('matches the pinned known-answer vector (label nqc/v1/scrypt)', () => {
    const s = _wrapPassphrase('correct horse battery staple', FK, seq(16, 0x10), 10);
    expect(s.args).toEqual(['EBESExQVFhcYGRobHB0eHw', '10']);
    expect(bytesToHex(s.body)).toBe(PINNED_BODY);
    expect(new PassphraseIdentity('correct horse battery staple').unwrapFileKey([{ ...s, body: hexToBytes(PINNED_BODY) }])).toEqual(FK);
  });
});

// Cross-checked with node:crypto (scryptSync + chacha20-poly1305), an implementation independent of noble.
const PINNED_BODY = '76f2e15e3d56a3482a081f64c682989cef99ecec93deff7500a4ec1e5c110e295eedc7b7e2983a86cdb03968856914e2';
