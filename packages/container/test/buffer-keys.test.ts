// Keys, salts and headers given as Node Buffers: Buffer.prototype.slice is a VIEW, so "copies" made
// with slice() aliased the caller's buffer. A parsed header's salt, stanza bodies and MAC then changed
// when the caller reused its buffer, and an encrypt stream kept the caller's salt for its inner layer.
import { describe, expect, it } from '@jest/globals';
import { createEncryptStream, decryptEnvelope, encryptEnvelope, parseHeader } from '../src/index.js';
import { seeded, testStanza, testUnwrap, xorInner } from './helpers.js';

const fileKey = seeded('buffer-keys/file-key', 32);
const salt = seeded('buffer-keys/salt', 32);
const pt = seeded('buffer-keys/plaintext', 64 * 5 + 7);

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: number[] = [];
  for (const reader = stream.getReader(); ; ) {
    const { done, value } = await reader.read();
    if (done) return Uint8Array.from(parts);
    parts.push(...value);
  }
}

describe('Node Buffers as keys, salts and envelopes', () => {
  it('parseHeader of a Buffer keeps its own copy of every field', async () => {
    const env = await encryptEnvelope(pt, { fileKey, salt, stanzas: [testStanza(fileKey)], chunkSize: 64 });
    const buf = Buffer.from(env);
    const h = parseHeader(buf);
    const before = { salt: Uint8Array.from(h.suite.salt), body: Uint8Array.from(h.stanzas[0]!.body), mac: Uint8Array.from(h.mac), bytes: Uint8Array.from(h.bytes) };
    buf.fill(0);
    expect(new Uint8Array(h.suite.salt)).toEqual(before.salt);
    expect(new Uint8Array(h.stanzas[0]!.body)).toEqual(before.body);
    expect(new Uint8Array(h.mac)).toEqual(before.mac);
    expect(new Uint8Array(h.bytes)).toEqual(before.bytes);
    expect(new Uint8Array(h.suite.salt)).toEqual(salt);
  });

  it('an encrypt stream given Buffer key and salt is unaffected when the caller reuses them', async () => {
    const id = seeded('buffer-keys/inner', 32);
    const keyBuf = Buffer.from(fileKey);
    const saltBuf = Buffer.from(salt);
    const enc = createEncryptStream({ fileKey: keyBuf, salt: saltBuf, stanzas: [testStanza(fileKey)], chunkSize: 64, inner: xorInner(id) });
    keyBuf.fill(0);
    saltBuf.fill(0x55);
    const writer = enc.writable.getWriter();
    const out = collect(enc.readable);
    await writer.write(pt);
    await writer.close();
    const env = await out;
    expect((await decryptEnvelope(env, { unwrap: testUnwrap, inner: xorInner(id) })).plaintext).toEqual(pt);
    expect(env).toEqual(await encryptEnvelope(pt, { fileKey, salt, stanzas: [testStanza(fileKey)], chunkSize: 64, inner: xorInner(id) }));
  });
});
