// Strict parsing of binary HTTP, key configurations and signed key configurations; the replay register.
import { describe, expect, it } from '@jest/globals';
import { generateSigningKey } from '@nqc/pql';
import {
  decodeRequest,
  decodeResponse,
  encodeKeyConfig,
  encodeKeyConfigs,
  encodeRequest,
  encodeResponse,
  GatewayKey,
  MAX_FIELDS,
  MAX_KEY_CONFIGS,
  parseKeyConfig,
  parseKeyConfigs,
  signKeyConfigs,
  signKeyConfigsAsync,
  StrikeRegister,
  verifyKeyConfigs,
} from '../src/index.js';
import { _varint } from '../src/_bytes.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
const GET = hex('00034745540568747470730b6578616d706c652e636f6d012f');
const base = { method: 'GET', scheme: 'https', authority: 'a.example', path: '/', content: new Uint8Array(0) };

describe('binary http', () => {
  it('round-trips a full request and response', () => {
    const req = { ...base, method: 'POST', headers: [['content-type', 'text/plain'], ['x-a', 'b c']] as const, content: Uint8Array.of(1, 2, 3), trailers: [['x-t', '1']] as const };
    expect(decodeRequest(encodeRequest(req))).toEqual(req);
    const res = { status: 404, headers: [['x-a', '']] as const, content: Uint8Array.of(9), trailers: [] };
    expect(decodeResponse(encodeResponse(res))).toEqual(res);
  });

  it('accepts zero padding and sections truncated at their boundary, refuses other trailing bytes', () => {
    expect(decodeRequest(Uint8Array.from([...GET, 0, 0, 0, 0, 0])).path).toBe('/');
    expect(() => decodeRequest(Uint8Array.from([...GET, 0, 0, 0, 1]))).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_MALFORMED' }));
    expect(() => decodeRequest(GET.subarray(0, GET.length - 1))).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_MALFORMED' }));
  });

  it('refuses indeterminate-length framing, the wrong message kind and non-canonical varints', () => {
    expect(() => decodeRequest(Uint8Array.of(2))).toThrow(/indeterminate/);
    expect(() => decodeRequest(Uint8Array.of(1, 0x40, 0xc8))).toThrow(/not a request/);
    expect(() => decodeResponse(GET)).toThrow(/not a response/);
    expect(() => decodeResponse(Uint8Array.of(1, 0x80, 0, 0, 200))).toThrow(/non-canonical/);
  });

  it('refuses uppercase or invalid field names, CR/LF in values, bad methods, status out of range', () => {
    expect(() => encodeRequest({ ...base, headers: [['Content-Type', 'x']] })).toThrow(/lowercase token/);
    expect(() => encodeRequest({ ...base, headers: [['x', 'a\r\nb: c']] })).toThrow(/forbidden character/);
    expect(() => encodeRequest({ ...base, method: 'GE T', headers: [] })).toThrow(/bad method/);
    expect(() => encodeResponse({ status: 101, headers: [], content: new Uint8Array(0) })).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_INPUT' }));
    const upper = Uint8Array.from([...GET, 4, 1, 0x41, 1, 0x62]); // header "A: b"
    expect(() => decodeRequest(upper)).toThrow(/lowercase token/);
  });

  it('caps the number of fields and field lengths before allocating', () => {
    const many = Array.from({ length: MAX_FIELDS + 1 }, (_, i) => [`x-${i}`, 'v'] as const);
    expect(() => encodeRequest({ ...base, headers: many })).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_LIMIT' }));
    const lines = new Uint8Array((MAX_FIELDS + 1) * 4);
    for (let i = 0; i < MAX_FIELDS + 1; i++) lines.set([1, 0x61, 1, 0x62], i * 4);
    expect(() => decodeRequest(Uint8Array.from([...GET, ..._varint(lines.length), ...lines]))).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_LIMIT' }));
    // a field name claiming 2^40 bytes is refused on the length, not by trying to read it
    expect(() => decodeRequest(Uint8Array.from([...GET, 9, 0xc0, 0, 0, 0x01, 0, 0, 0, 0, 0]))).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_LIMIT' }));
  });
});

describe('key configurations', () => {
  it('round-trip, skip unknown KEMs and refuse malformed ones', async () => {
    const k = await GatewayKey.generate({ keyId: 3 });
    const doc = encodeKeyConfigs([k.config]);
    expect(parseKeyConfigs(doc)).toEqual([k.config]);
    const unknownKem = Uint8Array.of(0, 5, 1, 0x99, 0x99, 0, 0);
    expect(parseKeyConfigs(Uint8Array.from([...unknownKem, ...doc]))).toEqual([k.config]);
    const one = encodeKeyConfig(k.config);
    expect(() => parseKeyConfig(Uint8Array.from([...one, 0]))).toThrow(/trailing/);
    const badSym = Uint8Array.from(one);
    badSym[3 + 1216 + 1] = 3; // algorithms length 3
    expect(() => parseKeyConfig(badSym)).toThrow(/algorithms length/);
    expect(() => parseKeyConfigs(new Uint8Array(0))).toThrow(/empty/);
    const tooMany = new Uint8Array((MAX_KEY_CONFIGS + 1) * 7);
    for (let i = 0; i <= MAX_KEY_CONFIGS; i++) tooMany.set(unknownKem, i * 7);
    expect(() => parseKeyConfigs(tooMany)).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_LIMIT' }));
  });

  it('a gateway key restores from its seed', async () => {
    const k = await GatewayKey.generate({ keyId: 1 });
    expect((await GatewayKey.fromSeed(k.exportSeed(), { keyId: 1 })).config).toEqual(k.config);
  });

  it('fromPrivateKey refuses a private key that does not match the public key', async () => {
    const a = await GatewayKey.generate({ kem: 0x20, symmetric: [{ kdf: 1, aead: 1 }] });
    const b = await GatewayKey.generate({ kem: 0x20, symmetric: [{ kdf: 1, aead: 1 }] });
    void a;
    await expect(GatewayKey.fromPrivateKey(new Uint8Array(32).fill(7), b.config.publicKey, { kem: 0x20, symmetric: [{ kdf: 1, aead: 1 }] })).rejects.toMatchObject({ code: 'ERR_CHANNEL_INVALID_INPUT' });
  });
});

describe('signed key configurations', () => {
  const server = generateSigningKey();
  const t0 = new Date('2026-12-01T00:00:00Z');
  const notAfter = new Date('2026-12-08T00:00:00Z');

  it('verify within validity and refuse before, after, other keys, any flipped bit and trailing bytes', async () => {
    const k = await GatewayKey.generate();
    const doc = signKeyConfigs([k.config], server, { notBefore: t0, notAfter });
    const v = server.verifyingKey();
    expect(verifyKeyConfigs(doc, v, { now: new Date('2026-12-02T00:00:00Z') }).configs).toEqual([k.config]);
    expect(() => verifyKeyConfigs(doc, v, { now: new Date('2026-11-30T00:00:00Z') })).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_EXPIRED' }));
    expect(() => verifyKeyConfigs(doc, v, { now: new Date('2026-12-09T00:00:00Z') })).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_EXPIRED' }));
    expect(() => verifyKeyConfigs(doc, generateSigningKey().verifyingKey(), { now: t0 })).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_BAD_SIGNATURE' }));
    for (const i of [0, 5, 12, 20, 100, doc.length - 1]) {
      const bad = Uint8Array.from(doc);
      bad[i]! ^= 1;
      expect(() => verifyKeyConfigs(bad, v, { now: t0 })).toThrow(NqcErrorLike);
    }
    expect(() => verifyKeyConfigs(Uint8Array.from([...doc, 0]), v, { now: t0 })).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_MALFORMED' }));
    expect(() => verifyKeyConfigs(new Uint8Array(70_000), v)).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_LIMIT' }));
  });

  it('an asynchronous signer (a key in the custody agent) makes a document that verifies; a bad answer is refused', async () => {
    const k = await GatewayKey.generate();
    const remote = { sign: (m: Uint8Array, o: { context: Uint8Array }) => new Promise<Uint8Array>((resolve) => setTimeout(() => resolve(server.sign(m, o)), 5)) };
    const doc = await signKeyConfigsAsync([k.config], remote, { notBefore: t0, notAfter });
    expect(verifyKeyConfigs(doc, server.verifyingKey(), { now: new Date('2026-12-02T00:00:00Z') }).configs).toEqual([k.config]);
    await expect(signKeyConfigsAsync([k.config], { sign: async () => new Uint8Array(0) }, { notBefore: t0, notAfter })).rejects.toMatchObject({ code: 'ERR_CHANNEL_INVALID_INPUT' });
    const boom = new Error('agent stopped');
    await expect(signKeyConfigsAsync([k.config], { sign: () => Promise.reject(boom) }, { notBefore: t0, notAfter })).rejects.toBe(boom);
    await expect(signKeyConfigsAsync([k.config], remote, { notBefore: notAfter, notAfter: t0 })).rejects.toMatchObject({ code: 'ERR_CHANNEL_INVALID_INPUT' });
  });

  it('refuses validity periods that are empty or too long', async () => {
    const k = await GatewayKey.generate();
    expect(() => signKeyConfigs([k.config], server, { notBefore: notAfter, notAfter: t0 })).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_INPUT' }));
    expect(() => signKeyConfigs([k.config], server, { notBefore: t0, notAfter: new Date('2028-12-01T00:00:00Z') })).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_INPUT' }));
  });
});

const NqcErrorLike = /not signed|version|truncated|trailing|validity|not valid|ohttp-keys|key configuration/;

describe('strike register', () => {
  it('refuses a repeat until expiry, then forgets it', () => {
    const r = new StrikeRegister();
    const enc = Uint8Array.of(1, 2, 3);
    r.strike(enc, 1000, 0);
    expect(() => r.strike(enc, 1000, 500)).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_REPLAY' }));
    r.strike(enc, 3000, 1000);
    expect(r.size).toBe(1);
  });

  it('fails closed when full of live entries, recovers after they expire', () => {
    const r = new StrikeRegister({ maxEntries: 2 });
    r.strike(Uint8Array.of(1), 100, 0);
    r.strike(Uint8Array.of(2), 100, 0);
    expect(() => r.strike(Uint8Array.of(3), 100, 50)).toThrow(/full/);
    r.strike(Uint8Array.of(3), 300, 150);
    expect(r.size).toBe(1);
  });
});
