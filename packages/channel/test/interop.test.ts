// Interop with an independent HPKE implementation, hpke-js (@hpke/core + @hpke/hybridkem-x-wing +
// @hpke/chacha20poly1305: its own ML-KEM, X25519 and ChaCha20-Poly1305). The RFC 9458 framing on
// the hpke-js side is written here from the RFC text, not with this package's encapsulation code.
// (@hpke/ohttp, an RFC 9458 library on hpke-js, is not published on the npm registry, so the
// OHTTP layer on this side is this file's few lines.)
import { hkdfSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { XWing } from '@hpke/hybridkem-x-wing';
import { generateSigningKey } from '@nqc/pql';
import { ChannelClient, decodeRequest, decodeResponse, encodeRequest, encodeResponse, GATEWAY_PATH, signKeyConfigs } from '../src/index.js';
import { startServer, type TestServer } from './_server.js';

const te = new TextEncoder();
const cat = (...p: Uint8Array[]) => {
  const o = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
  let i = 0;
  for (const x of p) o.set(x, (i += x.length) - x.length);
  return o;
};
const suite = () => new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
const hdr = (keyId: number) => Uint8Array.of(keyId, 0x64, 0x7a, 0x00, 0x01, 0x00, 0x03);
const info = (label: string, h: Uint8Array) => cat(te.encode(label), Uint8Array.of(0), h);

// RFC 9458 Section 4.4 response keys: hpke-js's exporter, node:crypto's HKDF (hpke-js's extract
// insists on a salt of hash length; RFC 5869 does not), hpke-js's ChaCha20-Poly1305.
async function responseAead(ctx: { export(c: Uint8Array, l: number): Promise<ArrayBuffer> }, enc: Uint8Array, nonce: Uint8Array) {
  const secret = new Uint8Array(await ctx.export(te.encode('message/bhttp response'), 32));
  const salt = cat(enc, nonce);
  const key = new Uint8Array(hkdfSync('sha256', secret, salt, 'key', 32));
  const iv = new Uint8Array(hkdfSync('sha256', secret, salt, 'nonce', 12));
  return { aead: new Chacha20Poly1305().createEncryptionContext(key), iv };
}

describe('hpke-js client -> nqc gateway (unauthenticated route)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('reads application/ohttp-keys, sends an RFC 9458 request, opens the response', async () => {
    const keys = new Uint8Array(await (await fetch(`${s.origin}${GATEWAY_PATH}`)).arrayBuffer());
    const len = (keys[0]! << 8) | keys[1]!;
    const config = keys.subarray(2, 2 + len);
    expect([config[1], config[2]]).toEqual([0x64, 0x7a]);
    const keyId = config[0]!;
    const pk = config.slice(3, 3 + 1216);
    const cs = suite();
    const sender = await cs.createSenderContext({ recipientPublicKey: await cs.kem.importKey('raw', pk.buffer, true), info: info('message/bhttp request', hdr(keyId)) });
    const enc = new Uint8Array(sender.enc);
    const bhttp = encodeRequest({ method: 'GET', scheme: 'http', authority: new URL(s.origin).host, path: '/interop', headers: [], content: new Uint8Array(0) });
    const req = cat(hdr(keyId), enc, new Uint8Array(await sender.seal(bhttp)));
    const res = await fetch(`${s.origin}${GATEWAY_PATH}`, { method: 'POST', headers: { 'content-type': 'message/ohttp-req' }, body: req });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('message/ohttp-res');
    const body = new Uint8Array(await res.arrayBuffer());
    const { aead, iv } = await responseAead(sender, enc, body.subarray(0, 32));
    const inner = decodeResponse(new Uint8Array(await aead.open(iv, body.subarray(32), new Uint8Array(0))));
    expect(inner.status).toBe(200);
    expect(JSON.parse(new TextDecoder().decode(inner.content))).toEqual({ method: 'GET', url: `${s.origin}/interop`, identity: null, body: '' });
  });
});

describe('nqc client -> gateway built on hpke-js', () => {
  const serverKey = generateSigningKey();
  let server: ReturnType<typeof createServer>;
  let origin: string;

  beforeAll(async () => {
    const cs = suite();
    const kp = await cs.kem.generateKeyPair();
    const pk = new Uint8Array(await cs.kem.serializePublicKey(kp.publicKey));
    const signed = signKeyConfigs([{ keyId: 5, kem: 0x647a, publicKey: pk, symmetric: [{ kdf: 1, aead: 3 }] }], serverKey, { notAfter: new Date(Date.now() + 3600e3) });
    server = createServer((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/nqc-signed-ohttp-keys' });
        return res.end(signed);
      }
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', async () => {
        const body = new Uint8Array(Buffer.concat(parts));
        const h = body.subarray(0, 7);
        const enc = body.slice(7, 7 + 1120);
        const recipient = await cs.createRecipientContext({ recipientKey: kp, enc: enc.buffer, info: info('message/bhttp request', h) });
        const inner = decodeRequest(new Uint8Array(await recipient.open(body.subarray(7 + 1120))));
        const nonce = crypto.getRandomValues(new Uint8Array(32));
        const { aead, iv } = await responseAead(recipient, enc, nonce);
        const out = encodeResponse({ status: 200, headers: [['x-served-by', 'hpke-js']], content: te.encode(`${inner.method} ${inner.path}`) });
        res.writeHead(200, { 'content-type': 'message/ohttp-res' });
        res.end(cat(nonce, new Uint8Array(await aead.seal(iv, out, new Uint8Array(0)))));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('the nqc client gets an answer it can open', async () => {
    const client = await ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString() });
    const res = await client.fetch(`${origin}/from-nqc?q=1`, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('hpke-js');
    expect(await res.text()).toBe('PUT /from-nqc?q=1');
  });
});
