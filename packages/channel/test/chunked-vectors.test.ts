// draft-ietf-ohai-chunked-ohttp-08 Appendix A (test/vectors/chunked-ohttp-08-appendix-a.json), both
// directions, plus truncation, reordering, empty chunks and byte-at-a-time streaming.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import * as noble from '@panva/hpke-noble';
import {
  decapsulateChunkedRequest,
  decapsulateChunkedResponse,
  encapsulateChunkedRequest,
  encapsulateChunkedResponse,
  GatewayKey,
  parseKeyConfig,
  type ChunkOpener,
} from '../src/index.js';
import { _responseKeys } from '../src/ohttp.js';
import { _concat } from '../src/_bytes.js';
import { fixedEphemeralSuite } from './_fixed-kem.js';

const v = JSON.parse(readFileSync(new URL('./vectors/chunked-ohttp-08-appendix-a.json', import.meta.url), 'utf8')) as Record<string, string>;
const h = (k: string) => hexToBytes(v[k]!);
const reqSizes = [12, 13, 0];
const resSizes = [1, 2, 0];

async function gatewayKey(): Promise<GatewayKey> {
  const c = parseKeyConfig(h('keyConfig'))!;
  return GatewayKey.fromPrivateKey(h('serverPrivateKey'), c.publicKey, { keyId: c.keyId, kem: c.kem, symmetric: c.symmetric });
}

function split(b: Uint8Array, sizes: number[]): Uint8Array[] {
  let o = 0;
  return sizes.map((n) => b.subarray(o, (o += n)));
}

async function drain(opener: ChunkOpener, first: Uint8Array[], rest: Uint8Array): Promise<Uint8Array[]> {
  const out = [...first, ...(await opener.push(rest))];
  out.push(await opener.end());
  return out;
}

describe('chunked OHTTP draft-08 Appendix A', () => {
  it('the client reproduces the chunked request (ephemeral fixed) and opens the response', async () => {
    const key = await gatewayKey();
    const cs = fixedEphemeralSuite(noble.KEM_DHKEM_X25519_HKDF_SHA256, 'KDF_HKDF_SHA256', 'AEAD_AES_128_GCM', h('ephemeralPublicKey'), key._keyPair());
    const { header, context, sealer } = await encapsulateChunkedRequest(key.config, { kdf: 1, aead: 1 }, { _cipherSuite: cs });
    const parts = split(h('request'), reqSizes);
    const wire = [header];
    for (const [i, p] of parts.entries()) wire.push(await sealer.seal(p, i === parts.length - 1));
    expect(bytesToHex(_concat(...wire))).toBe(v.encapsulatedRequest);
    const res = h('encapsulatedResponse');
    const { opener, chunks } = await decapsulateChunkedResponse(context, res.subarray(0, 16));
    const all = await drain(opener, chunks, res.subarray(16));
    expect(all.map((c) => c.length)).toEqual(resSizes);
    expect(bytesToHex(_concat(...all))).toBe(v.response);
  });

  it('the gateway opens the chunked request and reproduces the chunked response', async () => {
    const key = await gatewayKey();
    const { context, opener, chunks } = await decapsulateChunkedRequest([key], h('encapsulatedRequest'));
    const all = await drain(opener, chunks, new Uint8Array(0));
    expect(all.map((c) => c.length)).toEqual(reqSizes);
    expect(bytesToHex(_concat(...all))).toBe(v.request);
    const keys = await _responseKeys(context, 'message/bhttp chunked response', h('responseNonce'));
    expect(bytesToHex(keys.key)).toBe(v.responseKey);
    expect(bytesToHex(keys.nonce)).toBe(v.responseAeadNonce);
    const { header, sealer } = await encapsulateChunkedResponse(context, { responseNonce: h('responseNonce') });
    const parts = split(h('response'), resSizes);
    const wire = [header];
    for (const [i, p] of parts.entries()) wire.push(await sealer.seal(p, i === parts.length - 1));
    expect(bytesToHex(_concat(...wire))).toBe(v.encapsulatedResponse);
  });

  it('streams byte by byte', async () => {
    const key = await gatewayKey();
    const wire = h('encapsulatedRequest');
    const { opener, chunks } = await decapsulateChunkedRequest([key], wire.subarray(0, 39));
    const out = [...chunks];
    for (let i = 39; i < wire.length; i++) out.push(...(await opener.push(wire.subarray(i, i + 1))));
    out.push(await opener.end());
    expect(bytesToHex(_concat(...out))).toBe(v.request);
  });

  it('a truncated stream (final chunk missing or cut) fails with the generic error', async () => {
    const key = await gatewayKey();
    const wire = h('encapsulatedRequest');
    const finalAt = wire.length - 17; // the 0x00 before the final sealed chunk
    for (const cut of [finalAt, finalAt + 1, wire.length - 1]) {
      const { opener, chunks } = await decapsulateChunkedRequest([key], wire.subarray(0, cut));
      expect(chunks.length).toBe(2);
      await expect(opener.end()).rejects.toMatchObject({ code: 'ERR_CHANNEL_DECRYPT_FAILED', message: 'could not decrypt' });
    }
    // cut inside the first chunk: nothing opens, the end fails
    const { opener } = await decapsulateChunkedRequest([key], wire.subarray(0, 50));
    await expect(opener.end()).rejects.toMatchObject({ code: 'ERR_CHANNEL_DECRYPT_FAILED' });
  });

  it('a non-final chunk presented as final, swapped chunks, or an extra chunk fail', async () => {
    const key = await gatewayKey();
    const wire = h('encapsulatedRequest');
    const hdr = wire.subarray(0, 39);
    const c1 = wire.subarray(39, 39 + 29);
    const c2 = wire.subarray(68, 68 + 30);
    const fin = wire.subarray(98);
    // truncated after chunk 1, with chunk 2 relabelled as final (length 0): AAD mismatch
    let r = await decapsulateChunkedRequest([key], _concat(hdr, c1, Uint8Array.of(0), c2.subarray(1)));
    await expect(r.opener.end()).rejects.toMatchObject({ code: 'ERR_CHANNEL_DECRYPT_FAILED' });
    // swapped order
    await expect(decapsulateChunkedRequest([key], _concat(hdr, c2, c1, fin))).rejects.toMatchObject({ code: 'ERR_CHANNEL_DECRYPT_FAILED' });
    // chunk 1 repeated
    r = await decapsulateChunkedRequest([key], _concat(hdr, c1));
    await expect(r.opener.push(c1)).rejects.toMatchObject({ code: 'ERR_CHANNEL_DECRYPT_FAILED' });
    await expect(r.opener.push(c2)).rejects.toMatchObject({ code: 'ERR_CHANNEL_INVALID_INPUT' }); // failed streams stay failed
  });

  it('refuses empty non-final chunks when sealing and oversized chunks when opening', async () => {
    const key = await GatewayKey.generate();
    const { header, sealer } = await encapsulateChunkedRequest(key.config);
    await expect(sealer.seal(new Uint8Array(0), false)).rejects.toMatchObject({ code: 'ERR_CHANNEL_INVALID_INPUT' });
    const big = await sealer.seal(new Uint8Array(2000), false);
    await expect(decapsulateChunkedRequest([key], _concat(header, big), { maxChunk: 1000 })).rejects.toMatchObject({ code: 'ERR_CHANNEL_LIMIT' });
    await sealer.seal(new Uint8Array(0), true);
    await expect(sealer.seal(new Uint8Array(1), true)).rejects.toMatchObject({ code: 'ERR_CHANNEL_INVALID_INPUT' });
  });

  it('an X-Wing chunked round trip with many chunks', async () => {
    const key = await GatewayKey.generate();
    const { header, context, sealer } = await encapsulateChunkedRequest(key.config);
    const parts: Uint8Array[] = [header];
    for (let i = 0; i < 300; i++) parts.push(await sealer.seal(Uint8Array.of(i & 0xff, 1, 2), false));
    parts.push(await sealer.seal(Uint8Array.of(9), true));
    const g = await decapsulateChunkedRequest([key], _concat(...parts));
    const got = await drain(g.opener, g.chunks, new Uint8Array(0));
    expect(got.length).toBe(301);
    expect(got[299]).toEqual(Uint8Array.of(299 & 0xff, 1, 2));
    const res = await encapsulateChunkedResponse(g.context);
    const wire = _concat(res.header, await res.sealer.seal(Uint8Array.of(1), false), await res.sealer.seal(Uint8Array.of(2), true));
    const back = await decapsulateChunkedResponse(context, wire);
    expect(await drain(back.opener, back.chunks, new Uint8Array(0))).toEqual([Uint8Array.of(1), Uint8Array.of(2)]);
  });
});
