// The key-custody agent: socket permissions, results equal to direct @nqc/pql calls, strict framing,
// and a property test: no request, valid or adversarial, ever gets secret key material back.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeKeyString, generateIdentity, Keyset, parseRecipient, generateSigningKey, getKem, getSignature, parseVerifyingKey, serializeIdentityFile, wrapToRecipients, type Stanza } from '@nqc/pql';
import { KeyStore } from '../src/index.js';
import { CustodyClient, CustodyServer, FrameDecoder, MAX_FRAME_BYTES, startAgent } from '../src/custody/index.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
let dir: string;
let socketPath: string;
let keys: KeyStore;
let server: CustodyServer;
let client: CustodyClient;
const secrets: Uint8Array[] = [];
const secretStrings: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nqc-agent-'));
  socketPath = join(dir, 'run', 'agent.sock');
  keys = KeyStore.create();
  keys.createKey('encrypt', 'xwing');
  keys.createKey('encrypt', 'mlkem1024');
  keys.createKey('sign', 'mldsa65');
  keys.createKey('sign', 'falcon512');
  // Every form of every long-term secret: key strings, stored secrets (seeds), expanded secret keys.
  for (const k of keys.list()) {
    const text = k.purpose === 'encrypt' ? keys._identity(k.id).toString() : keys._signer(k.id).toString();
    secretStrings.push(text);
    const { bytes } = decodeKeyString(text, k.purpose === 'encrypt' ? 'identity' : 'signing-key');
    secrets.push(bytes);
    secrets.push(k.purpose === 'encrypt' ? getKem(k.algorithm).keygen(bytes).secretKey : getSignature(k.algorithm).load(bytes).secretKey);
  }
  server = await CustodyServer.listen({ socketPath, keys });
  client = await CustodyClient.connect(socketPath);
}, 60_000);
afterAll(async () => {
  client?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('socket', () => {
  it('good_permissions: socket 0600 inside a 0700 directory', async () => {
    expect((await stat(join(dir, 'run'))).mode & 0o777).toBe(0o700);
    const st = await stat(socketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('fail_open_dir: refuses to start in a directory group or others can reach', async () => {
    for (const mode of [0o755, 0o770, 0o701]) {
      const d = await mkdtemp(join(tmpdir(), 'nqc-agent-open-'));
      await chmod(d, mode);
      await expect(CustodyServer.listen({ socketPath: join(d, 's'), keys })).rejects.toMatchObject({ code: 'ERR_AGENTS_SOCKET' });
      await rm(d, { recursive: true });
    }
  });

  it('fail_in_use: a live socket is refused; a stale one is replaced; a plain file is refused', async () => {
    await expect(CustodyServer.listen({ socketPath, keys })).rejects.toMatchObject({ code: 'ERR_AGENTS_SOCKET' });
    const d = await mkdtemp(join(tmpdir(), 'nqc-agent-stale-'));
    const stale = join(d, 's');
    // a socket file nobody listens on: what a killed agent leaves behind
    const killed = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((r) => killed.once('exit', r));
    expect((await stat(stale)).isSocket()).toBe(true);
    await writeFile(join(d, 'f'), 'not a socket');
    await expect(CustodyServer.listen({ socketPath: join(d, 'f'), keys })).rejects.toMatchObject({ code: 'ERR_AGENTS_SOCKET' });
    const again = await CustodyServer.listen({ socketPath: stale, keys });
    await again.close();
    await rm(d, { recursive: true });
  });
});

describe('requests', () => {
  it('good_list: public keys only', async () => {
    const list = await client.listKeys();
    expect(list.map((k) => k.id).sort()).toEqual(keys.list().map((k) => k.id).sort());
    for (const k of list) expect(Object.keys(k).sort()).toEqual(['algorithm', 'created', 'id', 'publicKey', 'purpose', 'status']);
  });

  it('good_sign through the agent verifies as a direct signature does, for each signing key and context', async () => {
    const message = utf8('channel response');
    for (const k of keys.list().filter((x) => x.purpose === 'sign')) {
      const r = await client.sign(message, { keyId: k.id });
      expect(r.keyId).toBe(k.id);
      expect(parseVerifyingKey(k.publicKey).verify(r.signature, message)).toBe(true);
      // signatures are hedged (randomised), so equal means: the same key, both verify
      const direct = keys.sign(message, { keyId: k.id });
      expect(direct.keyId).toBe(r.keyId);
      expect(parseVerifyingKey(k.publicKey).verify(direct.signature, message)).toBe(true);
    }
    const context = utf8('nqc/v1/envelope');
    const r = await client.sign(message, { context });
    expect(parseVerifyingKey(keys.list().find((k) => k.id === r.keyId)!.publicKey).verify(r.signature, message, { context })).toBe(true);
  }, 60_000);

  it('good_unwrap and decapsulate equal the direct results', async () => {
    const fileKey = crypto.getRandomValues(new Uint8Array(32));
    for (const k of keys.list().filter((x) => x.purpose === 'encrypt')) {
      const id = keys._identity(k.id);
      const stanzas = wrapToRecipients(fileKey, [id.recipient()]);
      expect(await client.unwrapFileKey(stanzas)).toEqual(id.unwrapFileKey(stanzas));
      expect(await client.unwrapFileKey(stanzas)).toEqual(fileKey);
      const { cipherText, sharedSecret } = getKem(k.algorithm).encapsulate(id.publicKey);
      expect((await client.decapsulate(cipherText, { keyId: k.id })).sharedSecret).toEqual(sharedSecret);
    }
    expect(await client.unwrapFileKey(wrapToRecipients(fileKey, [generateIdentity().recipient()]))).toBeNull();
  }, 60_000);

  it('fail_typed errors: unknown key, disabled key, malformed stanza', async () => {
    await expect(client.sign(utf8('x'), { keyId: 'ffffffff' })).rejects.toMatchObject({ code: 'ERR_AGENTS_KEY' });
    await expect(client.sign(utf8('x'), { keyId: 'nothex!!' })).rejects.toMatchObject({ code: 'ERR_AGENTS_PROTOCOL' });
    const k = keys.list().find((x) => x.purpose === 'encrypt')!;
    const bad: Stanza[] = [{ type: k.algorithm, args: [k.id], body: new Uint8Array(5) }];
    await expect(client.unwrapFileKey(bad)).rejects.toMatchObject({ code: 'ERR_AGENTS_TASK_FAILED', reason: 'ERR_PQL_STANZA_MALFORMED' });
    const extra = keys.createKey('sign', 'mldsa65');
    keys.disable(extra.id);
    await expect(client.sign(utf8('x'), { keyId: extra.id })).rejects.toMatchObject({ code: 'ERR_AGENTS_KEY' });
  });
});

// A raw connection: sends bytes, collects every answer frame until the agent closes or goes quiet.
// Writes the frames, half-closes, and collects every answer until the agent closes its side. The
// agent answers each frame synchronously as it arrives, so every answer is written before its
// automatic end (allowHalfOpen is off): no quiet-period timer, which lost slow answers (Falcon signing,
// decapsulation) on a busy machine. A 30 s guard turns a hang into a failure.
function exchange(frames: Uint8Array[]): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    const dec = new FrameDecoder();
    const got: Uint8Array[] = [];
    const guard = setTimeout(() => {
      s.destroy();
      reject(new Error('the agent did not close the connection within 30 s'));
    }, 30_000);
    s.on('connect', () => {
      for (const f of frames) s.write(f);
      s.end();
    });
    s.on('data', (c) => got.push(...dec.push(c)));
    s.on('close', () => {
      clearTimeout(guard);
      resolve(got);
    });
    s.on('error', (e) => {
      clearTimeout(guard);
      reject(e);
    });
  });
}

const frame = (body: Uint8Array): Uint8Array => {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
};
const json = (v: unknown): Uint8Array => frame(utf8(JSON.stringify(v)));

function leaks(answer: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(answer);
  if (/secret-/i.test(text)) return 'a secret key string prefix';
  for (const s of secretStrings) if (text.toLowerCase().includes(s.toLowerCase().slice(0, 40))) return 'a secret key string';
  // Every byte field of the answer, decoded, and the raw answer itself.
  const blobs: Buffer[] = [Buffer.from(answer)];
  for (const m of text.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)) blobs.push(Buffer.from(m[1]!, 'base64'));
  for (const secret of secrets) {
    const windows = [0, Math.max(0, (secret.length >> 1) - 8), Math.max(0, secret.length - 16)].map((o) => Buffer.from(secret.subarray(o, o + 16)));
    for (const b of blobs) for (const w of windows) if (w.length === 16 && b.includes(w)) return 'secret key bytes';
    const hex = Buffer.from(secret.subarray(0, 16)).toString('hex');
    if (text.includes(hex)) return 'secret key hex';
  }
  return undefined;
}

describe('never a secret (property)', () => {
  const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

  it('no request of any type, valid or adversarial, returns secret key material', async () => {
    const ids = keys.list().map((k) => k.id);
    const fileKey = new Uint8Array(32).fill(7);
    const realStanzas = keys.list().filter((k) => k.purpose === 'encrypt').map((k) => wrapToRecipients(fileKey, [keys._identity(k.id).recipient()])[0]!);
    const bytes = fc.uint8Array({ maxLength: 256 });
    const keyId = fc.oneof(fc.constantFrom(...ids), fc.stringMatching(/^[0-9a-f]{8}$/), fc.string());
    const stanza = fc.oneof(
      fc.constantFrom(...realStanzas).map((s) => ({ type: s.type, args: s.args, body: b64(s.body) })),
      fc.record({ type: fc.constantFrom('xwing', 'mlkem1024', 'x25519', 'a b'), args: fc.array(fc.oneof(fc.constantFrom(...ids), fc.string()), { maxLength: 3 }), body: bytes.map(b64) }),
      fc.anything(),
    );
    const field = fc.oneof(bytes.map(b64), fc.anything(), fc.string());
    const request = fc.oneof(
      fc.record({ v: fc.constant(1), id: fc.nat(), op: fc.constant('list') }),
      fc.record({ v: fc.constant(1), id: fc.nat(), op: fc.constant('sign'), message: field, keyId, context: fc.option(field, { nil: undefined }) }, { requiredKeys: ['v', 'id', 'op', 'message'] }),
      fc.record({ v: fc.constant(1), id: fc.nat(), op: fc.constant('unwrap'), stanzas: fc.array(stanza, { maxLength: 4 }) }),
      fc.record({ v: fc.constant(1), id: fc.nat(), op: fc.constant('decapsulate'), cipherText: fc.oneof(field, fc.uint8Array({ minLength: 1088, maxLength: 1600 }).map(b64)), keyId }, { requiredKeys: ['v', 'id', 'op', 'cipherText'] }),
      fc.record({ v: fc.anything(), id: fc.anything(), op: fc.oneof(fc.string(), fc.constantFrom('export', 'dump', 'secret', 'list', 'sign')), extra: fc.anything() }),
      fc.dictionary(fc.string(), fc.anything()),
    );
    const raw = fc.oneof(
      request.map((r) => [json(r)]),
      fc.array(request, { minLength: 1, maxLength: 3 }).map((rs) => rs.map(json)),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => [b]), // garbage, broken framing
      bytes.map((b) => [frame(b)]), // well framed, not JSON
    );
    let answers = 0;
    let ok = 0;
    await fc.assert(
      fc.asyncProperty(raw, async (frames) => {
        for (const a of await exchange(frames)) {
          answers++;
          if (new TextDecoder().decode(a).includes('"ok":true')) ok++;
          const leak = leaks(a);
          if (leak) throw new Error(`answer leaked ${leak}: ${new TextDecoder().decode(a).slice(0, 200)}`);
        }
      }),
      // Valid requests as explicit examples, so that the key operations are reached whatever the
      // seed (random runs alone gave 9 successful answers once against the bound of 10).
      { numRuns: 120, examples: [...ids.map((_id, n) => [[json({ v: 1, id: n, op: 'list' })]] as [Uint8Array[]]), ...ids.filter((id) => keys.list().find((k) => k.id === id)?.purpose === 'sign').flatMap((keyId, n) => [0, 1, 2, 3].map((j) => [[json({ v: 1, id: 100 + n * 4 + j, op: 'sign', message: b64(utf8(`m${j}`)), keyId })]] as [Uint8Array[]])), ...realStanzas.map((st, n) => [[json({ v: 1, id: 200 + n, op: 'unwrap', stanzas: [{ type: st.type, args: st.args, body: b64(st.body) }] })]] as [Uint8Array[]])] },
    );
    expect(answers).toBeGreaterThan(100);
    expect(ok).toBeGreaterThan(10); // the runs reach the key operations, not only the parser
    // the checker itself can fail: a planted secret is found
    expect(leaks(utf8(JSON.stringify({ x: b64(secrets[2]!) })))).toBeDefined();
    expect(leaks(utf8(secretStrings[0]!))).toBeDefined();
  }, 180_000);

  it('fail_framing: zero and oversized lengths get one error (id null) and the connection closes', async () => {
    for (const n of [0, MAX_FRAME_BYTES + 1, 0xffffffff]) {
      const head = new Uint8Array(4);
      new DataView(head.buffer).setUint32(0, n);
      const answers = await exchange([head]);
      expect(answers).toHaveLength(1);
      const doc = JSON.parse(new TextDecoder().decode(answers[0]));
      expect(doc).toMatchObject({ v: 1, id: null, ok: false, error: { code: 'ERR_AGENTS_PROTOCOL' } });
    }
    const [a] = await exchange([json({ v: 1, id: 5, op: 'sign', message: 'AAAA', secretKey: 'x' })]);
    expect(JSON.parse(new TextDecoder().decode(a))).toMatchObject({ id: 5, ok: false, error: { code: 'ERR_AGENTS_PROTOCOL' } });
    const [b] = await exchange([json({ v: 1, id: 6, op: 'sign', message: 'AAB=' })]); // non-canonical base64 (non-zero padding bits)
    expect(JSON.parse(new TextDecoder().decode(b))).toMatchObject({ id: 6, ok: false, error: { code: 'ERR_AGENTS_PROTOCOL' } });
  }, 60_000);
});

describe('startAgent', () => {
  it('good_keyset: serves a keyset file (rotated keys included); an exposed file or no file is refused', async () => {
    const d = await mkdtemp(join(tmpdir(), 'nqc-agent-ks-'));
    const ks = Keyset.create();
    const old = ks.add('encrypt');
    ks.add('encrypt', 'xwing', { primary: true });
    const file = join(d, 'keys.json');
    await writeFile(file, ks.serialize(), { mode: 0o600 });
    const agent = await startAgent({ socketPath: join(d, 'a', 's'), keysetFile: file });
    const c = await CustodyClient.connect(agent.socketPath);
    try {
      const fk = new Uint8Array(32).fill(3);
      // to the rotated-out (enabled) key and to the primary
      expect(await c.unwrapFileKey(wrapToRecipients(fk, [parseRecipient(old.publicKey)]))).toEqual(fk);
      expect(await c.unwrapFileKey(wrapToRecipients(fk, [ks.primaryRecipient()]))).toEqual(fk);
      expect((await c.listKeys()).map((k) => [k.id, k.status])).toEqual(ks.list().map((k) => [k.id, k.status]));
    } finally {
      c.close();
      await agent.close();
    }
    await chmod(file, 0o640);
    await expect(startAgent({ socketPath: join(d, 'a', 's'), keysetFile: file })).rejects.toMatchObject({ code: 'ERR_AGENTS_KEY' });
    await expect(startAgent({ socketPath: join(d, 'a', 's') })).rejects.toMatchObject({ code: 'ERR_AGENTS_KEY' });
    await rm(d, { recursive: true, force: true });
  }, 60_000);
});

describe('nqc-agent bin', () => {
  it('good_bin: loads an identity file, serves signatures, removes its socket on SIGTERM', async () => {
    const d = await mkdtemp(join(tmpdir(), 'nqc-agent-bin-'));
    const idFile = join(d, 'key.nqc');
    const sk = generateSigningKey();
    const vk = sk.verifyingKey();
    await writeFile(idFile, serializeIdentityFile({ identities: [generateIdentity()], signingKeys: [sk] }), { mode: 0o600 });
    const sock = join(d, 'agent', 's.sock');
    const bin = new URL('../bin/nqc-agent.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, '--socket', sock, '--identity', idFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (c: Buffer) => {
          err += c.toString();
          if (err.includes('listening')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`nqc-agent exited ${code}: ${err}`)));
      });
      const c = await CustodyClient.connect(sock);
      const r = await c.sign(utf8('via bin'));
      expect(r.keyId).toBe(sk.keyId);
      expect(vk.verify(r.signature, utf8('via bin'))).toBe(true);
      c.close();
      const exited = new Promise<number | null>((r2) => child.once('exit', (code) => r2(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect(stat(sock)).rejects.toMatchObject({ code: 'ENOENT' });
      // an identity file others can read is refused
      await chmod(idFile, 0o644);
      const bad = spawn(process.execPath, [bin, '--socket', sock, '--identity', idFile], { stdio: 'ignore' });
      expect(await new Promise((r3) => bad.once('exit', r3))).toBe(1);
    } finally {
      child.kill('SIGKILL');
      await rm(d, { recursive: true, force: true });
    }
  }, 60_000);
});
