import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { hexToBytes } from '@noble/hashes/utils.js';
import {
  DEFAULT_SIGNATURE_CONTEXT,
  ENVELOPE_SIGNATURE_CONTEXT,
  generateSigningKey,
  listSignatures,
  NqcPqlError,
  parseSigningKey,
  SigningKey,
  VerifyingKey,
} from '../src/index.js';

const msg = new TextEncoder().encode('attack at dawn');
const tampered = new TextEncoder().encode('attack at dusk');

// SLH-DSA-SHA2-128s signs in 2-12 s here: it is checked against a fixture below.
const FAST = ['mldsa65', 'mldsa87', 'slhdsa-sha2-128f', 'falcon512'];

describe.each(FAST)('%s', (alg) => {
  const key = generateSigningKey(alg);
  const vk = key.verifyingKey();
  const sig = key.sign(msg);

  it('good_sign_verify, and via key strings', () => {
    expect(vk.verify(sig, msg)).toBe(true);
    const again = parseSigningKey(key.toString());
    expect(again.publicKey).toEqual(key.publicKey);
    expect(vk.verify(again.sign(msg), msg)).toBe(true);
  });

  it('fail_*: tampered message, other key, other context, flipped or truncated signature', () => {
    expect(vk.verify(sig, tampered)).toBe(false);
    expect(generateSigningKey(alg).verifyingKey().verify(sig, msg)).toBe(false);
    expect(vk.verify(sig, msg, { context: new TextEncoder().encode('other') })).toBe(false);
    const flipped = sig.slice();
    flipped[Math.floor(sig.length / 2)]! ^= 0x10;
    expect(vk.verify(flipped, msg)).toBe(false);
    expect(vk.verify(sig.subarray(0, sig.length - 1), msg)).toBe(false);
    expect(vk.verify(new Uint8Array(0), msg)).toBe(false);
    expect(vk.verify(new Uint8Array(100_000), msg)).toBe(false);
  });

  it('contexts: explicit default equals implicit; custom contexts round-trip', () => {
    expect(vk.verify(sig, msg, { context: DEFAULT_SIGNATURE_CONTEXT })).toBe(true);
    const ctx = new TextEncoder().encode('nqc/v1/test');
    expect(vk.verify(key.sign(msg, { context: ctx }), msg, { context: ctx })).toBe(true);
    expect(vk.verify(key.sign(msg, { context: ctx }), msg)).toBe(false);
  });

  it('envelope context: nqc/v1/envelope signatures and nqc/v1/sig signatures never cross over', () => {
    expect(new TextDecoder().decode(ENVELOPE_SIGNATURE_CONTEXT)).toBe('nqc/v1/envelope');
    const env = key.sign(msg, { context: ENVELOPE_SIGNATURE_CONTEXT });
    expect(vk.verify(env, msg, { context: ENVELOPE_SIGNATURE_CONTEXT })).toBe(true);
    expect(vk.verify(env, msg)).toBe(false);
    expect(vk.verify(sig, msg, { context: ENVELOPE_SIGNATURE_CONTEXT })).toBe(false);
    // Empty and 255-byte contexts are valid and distinct from the default.
    for (const c of [new Uint8Array(0), new Uint8Array(255).fill(0x61)]) {
      const s = key.sign(msg, { context: c });
      expect(vk.verify(s, msg, { context: c })).toBe(true);
      expect(vk.verify(s, msg)).toBe(false);
    }
  });
});

describe('signatures', () => {
  it('the default context cannot be changed by writing into the exported constant', () => {
    const key = generateSigningKey();
    const vk = key.verifyingKey();
    const saved = DEFAULT_SIGNATURE_CONTEXT.slice();
    try {
      DEFAULT_SIGNATURE_CONTEXT.fill(0x78);
      const s = key.sign(msg);
      expect(vk.verify(s, msg, { context: new TextEncoder().encode('nqc/v1/sig') })).toBe(true);
    } finally {
      DEFAULT_SIGNATURE_CONTEXT.set(saved);
    }
  });

  it('fail_context_type: a context that is not bytes, or options that are not an object, is a typed error', () => {
    const key = generateSigningKey();
    const t = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof NqcPqlError ? `${e.code}: ${e.message}` : 'untyped';
      }
      return 'accepted';
    };
    expect(t(() => key.sign(msg, { context: 'nqc/v1/envelope' as unknown as Uint8Array }))).toBe(
      'ERR_PQL_INVALID_INPUT: "context" expected Uint8Array, got string',
    );
    expect(t(() => key.verifyingKey().verify(new Uint8Array(10), msg, 'nqc/v1/envelope' as never))).toBe(
      'ERR_PQL_INVALID_INPUT: "options" expected an object like { context }, got string',
    );
  });

  it('SLH-DSA-SHA2-128s: verifies a fixture signature made with noble directly; signs only with NQC_PQL_SLOW=1', () => {
    // Signing takes 2-12 s on this machine, so by default the signing path is covered by 128f (the
    // same provider code) and 128s is checked against a fixture (test/fixtures, made by noble).
    const fx = JSON.parse(readFileSync(new URL('./fixtures/slhdsa-sha2-128s.json', import.meta.url), 'utf8'));
    const key = SigningKey.fromSecret('slhdsa-sha2-128s', hexToBytes(fx.secretKey));
    expect(key.publicKey).toEqual(hexToBytes(fx.publicKey));
    const sig = new Uint8Array(Buffer.from(fx.signature, 'base64'));
    expect(sig.length).toBe(7856);
    expect(key.verifyingKey().verify(sig, msg)).toBe(true);
    expect(key.verifyingKey().verify(sig, tampered)).toBe(false);
    if (process.env.NQC_PQL_SLOW === '1') expect(key.verifyingKey().verify(key.sign(msg), msg)).toBe(true);
  });

  it('registry lists every built-in scheme', () => {
    expect(listSignatures()).toEqual(['mldsa65', 'mldsa87', 'slhdsa-sha2-128s', 'slhdsa-sha2-128f', 'falcon512']);
  });

  it('refuses bad inputs with typed errors', () => {
    const key = generateSigningKey();
    const t = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as NqcPqlError).code;
      }
      return 'none';
    };
    expect(t(() => key.sign(msg, { context: new Uint8Array(256) }))).toBe('ERR_PQL_SIGNATURE');
    expect(t(() => key.sign('text' as unknown as Uint8Array))).toBe('ERR_PQL_INVALID_INPUT');
    expect(t(() => key.verifyingKey().verify('x' as unknown as Uint8Array, msg))).toBe('ERR_PQL_INVALID_INPUT');
    expect(t(() => new VerifyingKey('mldsa65', new Uint8Array(5)))).toBe('ERR_PQL_INVALID_INPUT');
    expect(t(() => generateSigningKey('rsa'))).toBe('ERR_PQL_UNKNOWN_ALGORITHM');
    expect(t(() => SigningKey.fromSecret('mldsa65', new Uint8Array(31)))).toBe('ERR_PQL_INVALID_INPUT');
  });

  it('ML-DSA signing keys from one seed are identical; wipe makes the key unusable for correct signatures', () => {
    const a = SigningKey.fromSeed('mldsa65', new Uint8Array(32).fill(1));
    const b = SigningKey.fromSeed('mldsa65', new Uint8Array(32).fill(1));
    expect(a.toString()).toBe(b.toString());
    b.wipe();
    expect(b.toString()).not.toBe(a.toString());
  });
});
