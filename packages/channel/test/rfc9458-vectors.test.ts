// RFC 9458 Appendix A (test/vectors/rfc9458-appendix-a.json): key configuration, binary HTTP,
// request encapsulation (ephemeral key fixed as in the example), response key schedule and response.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import * as noble from '@panva/hpke-noble';
import {
  decapsulateRequest,
  decapsulateResponse,
  decodeRequest,
  decodeResponse,
  encapsulateRequest,
  encapsulateResponse,
  encodeKeyConfig,
  encodeRequest,
  encodeResponse,
  GatewayKey,
  parseKeyConfig,
} from '../src/index.js';
import { _responseKeys, RESPONSE_LABEL } from '../src/ohttp.js';
import { fixedEphemeralSuite } from './_fixed-kem.js';

const v = JSON.parse(readFileSync(new URL('./vectors/rfc9458-appendix-a.json', import.meta.url), 'utf8')) as Record<string, string>;
const h = (k: string) => hexToBytes(v[k]!);

async function gatewayKey(): Promise<GatewayKey> {
  const config = parseKeyConfig(h('keyConfig'))!;
  return GatewayKey.fromPrivateKey(h('serverPrivateKey'), config.publicKey, { keyId: config.keyId, kem: config.kem, symmetric: config.symmetric });
}

describe('RFC 9458 Appendix A', () => {
  it('the key configuration parses and re-encodes to the same bytes', async () => {
    const config = parseKeyConfig(h('keyConfig'))!;
    expect(config.keyId).toBe(1);
    expect(config.kem).toBe(0x20);
    expect(config.symmetric).toEqual([{ kdf: 1, aead: 1 }, { kdf: 1, aead: 3 }]);
    expect(bytesToHex(encodeKeyConfig(config))).toBe(v.keyConfig);
    expect(bytesToHex(encodeKeyConfig((await gatewayKey()).config))).toBe(v.keyConfig);
  });

  it('binary http request and response decode and re-encode to the same bytes', () => {
    const req = decodeRequest(h('request'));
    expect(req).toMatchObject({ method: 'GET', scheme: 'https', authority: 'example.com', path: '/', headers: [] });
    expect(bytesToHex(encodeRequest(req))).toBe(v.request);
    const res = decodeResponse(h('response'));
    expect(res).toMatchObject({ status: 200, headers: [] });
    expect(res.content.length).toBe(0);
    expect(bytesToHex(encodeResponse(res))).toBe(v.response);
  });

  it('the client side reproduces the encapsulated request (ephemeral key fixed)', async () => {
    const key = await gatewayKey();
    const cs = fixedEphemeralSuite(noble.KEM_DHKEM_X25519_HKDF_SHA256, 'KDF_HKDF_SHA256', 'AEAD_AES_128_GCM', h('ephemeralPublicKey'), key._keyPair());
    const { encapsulated, context } = await encapsulateRequest(key.config, h('request'), { kdf: 1, aead: 1 }, { _cipherSuite: cs });
    expect(bytesToHex(encapsulated)).toBe(v.encapsulatedRequest);
    // and the client opens the published response with its own context
    expect(bytesToHex(await decapsulateResponse(context, h('encapsulatedResponse')))).toBe(v.response);
  });

  it('the gateway side decapsulates the request and reproduces the response', async () => {
    const key = await gatewayKey();
    const { message, context } = await decapsulateRequest([key], h('encapsulatedRequest'));
    expect(bytesToHex(message)).toBe(v.request);
    expect(bytesToHex(await context._hpke.Export(new TextEncoder().encode(RESPONSE_LABEL), 16))).toBe(v.exportedSecret);
    const keys = await _responseKeys(context, RESPONSE_LABEL, h('responseNonce'));
    expect(bytesToHex(keys.key)).toBe(v.responseKey);
    expect(bytesToHex(keys.nonce)).toBe(v.responseAeadNonce);
    const res = await encapsulateResponse(context, h('response'), { responseNonce: h('responseNonce') });
    expect(bytesToHex(res)).toBe(v.encapsulatedResponse);
  });

  it('every single-bit flip of the encapsulated request is refused', async () => {
    const key = await gatewayKey();
    const good = h('encapsulatedRequest');
    for (let bit = 0; bit < good.length * 8; bit += 7) {
      const bad = Uint8Array.from(good);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      await expect(decapsulateRequest([key], bad)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_CHANNEL_(UNKNOWN_KEY|DECRYPT_FAILED)$/) });
    }
  });

  it('a flipped response bit and a truncated response are refused with the generic error', async () => {
    const key = await gatewayKey();
    const { context } = await decapsulateRequest([key], h('encapsulatedRequest'));
    const bad = h('encapsulatedResponse');
    bad[bad.length - 1]! ^= 0x80;
    await expect(decapsulateResponse(context, bad)).rejects.toMatchObject({ code: 'ERR_CHANNEL_DECRYPT_FAILED', message: 'could not decrypt' });
    await expect(decapsulateResponse(context, h('encapsulatedResponse').subarray(0, 20))).rejects.toMatchObject({ code: 'ERR_CHANNEL_MALFORMED' });
  });
});
