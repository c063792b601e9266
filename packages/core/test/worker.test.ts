// The Worker entry and its client, over a MessageChannel (the same structured-clone and transfer
// rules as a Worker; Chromium runs the real Worker in tooling/browser-tests).
import { describe, it, expect, afterAll } from '@jest/globals';
import { serveNqc } from '../src/worker.js';
import { NqcWorkerClient } from '../src/worker-client.js';
import { DECRYPT_FAILED_MESSAGE, NqcCoreError, NqcFormatError, decrypt } from '../src/index.js';
import { alice, bob, codeOf, hex, seeded, signer, streamOf } from './helpers.js';

const channel = new MessageChannel();
serveNqc(channel.port1);
const nqc = new NqcWorkerClient(channel.port2);
afterAll(() => {
  nqc.close();
  channel.port1.close();
  channel.port2.close();
});

const A = alice.recipient().toString();
const Asecret = alice.toString();
const Bsecret = bob.toString();

async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of s as unknown as AsyncIterable<Uint8Array>) parts.push(p);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('@nqc/core/worker with NqcWorkerClient', () => {
  it('bytes: encrypt in the worker, decrypt there and here (signed, NDE reference), signer report crosses', async () => {
    const pt = seeded('worker/bytes', 70_000);
    const env = await nqc.encrypt(pt, { recipients: [A], signer: signer.toString(), nde: 'reference', chunkSize: 65_536 });
    expect(env).toBeInstanceOf(Uint8Array);
    const r = await nqc.decrypt(env, { identities: Asecret, requireSigner: signer.verifyingKey().toString() });
    expect(hex(r.plaintext)).toBe(hex(pt));
    expect(r.signer?.verifyingKey).toBe(signer.verifyingKey().toString());
    expect(r.info.nde?.known).toBe(true);
    expect(hex((await decrypt(env, { identities: alice })).plaintext)).toBe(hex(pt));
  }, 120_000);

  it('NDE versions cross the worker: v2 by default (on the wasm backend), v1 when asked, both open here', async () => {
    const pt = seeded('worker/versions', 20_000);
    const v2 = await nqc.encrypt(pt, { recipients: [A], nde: 'wasm' });
    const v1 = await nqc.encrypt(pt, { recipients: [A], ndeVersion: 1 });
    for (const [env, version] of [[v2, 2], [v1, 1]] as const) {
      const r = await nqc.decrypt(env, { identities: Asecret });
      expect([version, r.info.nde?.version, hex(r.plaintext)]).toEqual([version, version, hex(pt)]);
      expect(hex((await decrypt(env, { identities: alice })).plaintext)).toBe(hex(pt));
    }
    expect(await codeOf(() => nqc.encrypt(pt, { recipients: [A], ndeVersion: 3 as never }))).toBe('ERR_CORE_INVALID_ARGUMENT');
  }, 120_000);

  it('armor gives a string; transfer: true detaches the caller\'s buffer, the default copies', async () => {
    const armored = await nqc.encrypt(new TextEncoder().encode('hi'), { recipients: A, armor: true, nde: 'off' });
    expect(typeof armored).toBe('string');
    expect(new TextDecoder().decode((await nqc.decrypt(armored, { identities: [Asecret] })).plaintext)).toBe('hi');
    const kept = seeded('worker/copy', 1000);
    await nqc.encrypt(kept, { recipients: A, nde: 'off' });
    expect(kept.length).toBe(1000);
    const given = seeded('worker/transfer', 1000);
    const env = await nqc.encrypt(given, { recipients: A, nde: 'off' }, { transfer: true });
    expect(given.length).toBe(0);
    expect(hex((await nqc.decrypt(env, { identities: Asecret })).plaintext)).toBe(hex(seeded('worker/transfer', 1000)));
  }, 60_000);

  it('streams: transferred both ways, constant memory; info and done resolve', async () => {
    const pt = seeded('worker/stream', 300_000);
    const envStream = nqc.encrypt(streamOf(pt, 10_000), { recipients: [A], nde: 'off', chunkSize: 65_536 });
    const env = await collect(envStream);
    const r = nqc.decrypt(streamOf(env, 7_000), { identities: [Asecret] });
    expect(hex(await collect(r.stream))).toBe(hex(pt));
    expect((await r.info).chunkSize).toBe(65_536);
    expect((await r.done).signer).toBeUndefined();
  }, 60_000);

  it('errors keep their class, code and the one decryption message (bytes and streams)', async () => {
    const env = await nqc.encrypt(seeded('worker/err', 5000), { recipients: A, nde: 'off' });
    const e = await nqc.decrypt(env, { identities: Bsecret }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NqcFormatError);
    expect((e as NqcFormatError).code).toBe('ERR_FORMAT_DECRYPT_FAILED');
    expect((e as Error).message).toBe(DECRYPT_FAILED_MESSAGE);

    const r = nqc.decrypt(streamOf(env, 1000), { identities: Bsecret });
    expect(await codeOf(() => collect(r.stream))).toBe('ERR_FORMAT_DECRYPT_FAILED');
    expect(await codeOf(() => r.done)).toBe('ERR_FORMAT_DECRYPT_FAILED');

    const bad = nqc.encrypt(streamOf(seeded('x', 10)), { recipients: ['not-a-key'] });
    expect(await codeOf(() => collect(bad))).toBe('ERR_CORE_KEY');
  }, 60_000);

  it('refuses key objects (they cannot cross to a worker) with ERR_CORE_INVALID_ARGUMENT', async () => {
    const e = await nqc.encrypt(new Uint8Array(1), { recipients: [alice.recipient() as unknown as string] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NqcCoreError);
    expect((e as NqcCoreError).code).toBe('ERR_CORE_INVALID_ARGUMENT');
    expect(await codeOf(() => nqc.decrypt(new Uint8Array(1), { identities: [alice as unknown as string] }))).toBe('ERR_CORE_INVALID_ARGUMENT');
  });
});
