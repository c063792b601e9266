// SecurityManager: routing by capability, custom agents, keys per purpose, results equal to direct
// @nqc/pql / @nqc/she calls, status (public only) and metrics. One worker per pool.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateIdentity, parseVerifyingKey, wrapToRecipients, type Stanza } from '@nqc/pql';
import { defineSchema, encodeCiphertext, decodeCiphertext, HeClient, HeKeySet } from '@nqc/she';
import { NqcAgentsError, SecurityManager, type Agent } from '../src/index.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
let m: SecurityManager;

beforeAll(async () => {
  m = await SecurityManager.create({ pools: { pq: { threads: 1 }, he: { threads: 1 }, bulk: false } });
});
afterAll(async () => {
  await m.close();
});

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(NqcAgentsError);
    return (e as NqcAgentsError).code;
  }
  throw new Error('expected a rejection');
};

describe('routing', () => {
  it('good_capabilities: the built-in agents declare their operations', () => {
    expect(m.capabilities()).toEqual(
      ['decapsulate', 'encapsulate', 'he.count', 'he.mean', 'he.sum', 'sign', 'unwrapFileKey', 'verify', 'wrapFileKey'].sort(),
    );
  });

  it('good_custom agent: a registered capability is routed to it', async () => {
    const seen: string[] = [];
    const agent: Agent = {
      name: 'echo',
      capabilities: ['echo.upper'],
      async perform(op, input) {
        seen.push(op);
        return String(input).toUpperCase();
      },
    };
    m.register(agent);
    expect(await m.perform('echo.upper', 'abc')).toBe('ABC');
    expect(seen).toEqual(['echo.upper']);
    expect(m.status().agents.map((a) => a.name)).toContain('echo');
  });

  it('fail_registry: taken names and capabilities, bad names are refused', () => {
    const base = { async perform() { return 1; } };
    expect(() => m.register({ ...base, name: 'echo', capabilities: ['x.y'] })).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_REGISTRY' }));
    expect(() => m.register({ ...base, name: 'other', capabilities: ['sign'] })).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_REGISTRY' }));
    expect(() => m.register({ ...base, name: 'Bad Name', capabilities: ['a'] })).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_REGISTRY' }));
    expect(() => m.register({ ...base, name: 'ok', capabilities: ['no spaces'] })).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_REGISTRY' }));
    expect(() => m.register({ ...base, name: 'ok', capabilities: [] })).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_REGISTRY' }));
    expect(() => m.register({ ...base, name: 'ok', capabilities: ['a', 'a'] })).toThrow(expect.objectContaining({ code: 'ERR_AGENTS_REGISTRY' }));
  });

  it('fail_unknown operation is a typed error', async () => {
    expect(await code(m.perform('nope', {}))).toBe('ERR_AGENTS_UNKNOWN_OPERATION');
    expect(await code(m.perform('__proto__', {}))).toBe('ERR_AGENTS_UNKNOWN_OPERATION');
  });
});

describe('pq agent and keys per purpose', () => {
  it('good_sign: a pool signature verifies directly, and through the pool', async () => {
    const k = m.keys.createKey('sign', 'mldsa65');
    const message = utf8('hello agents');
    const { keyId, algorithm, signature } = await m.perform('sign', { message });
    expect({ keyId, algorithm }).toEqual({ keyId: k.id, algorithm: 'mldsa65' });
    expect(parseVerifyingKey(k.publicKey).verify(signature, message)).toBe(true);
    expect(await m.perform('verify', { keyId: k.id, message, signature })).toBe(true);
    expect(await m.perform('verify', { publicKey: k.publicKey, message: utf8('other'), signature })).toBe(false);
    const context = utf8('nqc/v1/envelope');
    const s2 = (await m.perform('sign', { message, context })).signature;
    expect(parseVerifyingKey(k.publicKey).verify(s2, message, { context })).toBe(true);
    expect(parseVerifyingKey(k.publicKey).verify(s2, message)).toBe(false);
  }, 60_000);

  it('good_rotation and disabling come from the keyset', async () => {
    const old = m.keys.list().find((k) => k.purpose === 'sign' && k.status === 'primary')!;
    const next = m.keys.rotate('sign');
    expect(next.algorithm).toBe(old.algorithm);
    expect((await m.perform('sign', { message: utf8('x') })).keyId).toBe(next.id);
    expect((await m.perform('sign', { message: utf8('x'), keyId: old.id })).keyId).toBe(old.id); // enabled: still usable
    m.keys.disable(old.id);
    expect(await code(m.perform('sign', { message: utf8('x'), keyId: old.id }))).toBe('ERR_AGENTS_KEY');
    expect(await code(m.perform('sign', { message: utf8('x'), keyId: 'ffffffff' }))).toBe('ERR_AGENTS_KEY');
  }, 60_000);

  it('good_wrap/unwrap and encapsulate/decapsulate agree with direct pql calls', async () => {
    const enc = m.keys.createKey('encrypt', 'xwing');
    const fileKey = crypto.getRandomValues(new Uint8Array(32));
    const stanzas = (await m.perform('wrapFileKey', { fileKey })) as Stanza[];
    expect(stanzas[0]!.type).toBe('xwing');
    expect(await m.perform('unwrapFileKey', { stanzas })).toEqual(fileKey);
    const other = generateIdentity();
    expect(await m.perform('unwrapFileKey', { stanzas: wrapToRecipients(fileKey, [other.recipient()]) })).toBeNull();
    const { cipherText, sharedSecret } = await m.perform('encapsulate', { keyId: enc.id });
    expect(await m.perform('decapsulate', { cipherText, keyId: enc.id })).toEqual(sharedSecret);
  }, 60_000);

  it('fail_bad input fails the task with the library code; the pool stays usable', async () => {
    try {
      await m.perform('sign', { message: 'not bytes' as unknown as Uint8Array });
      throw new Error('expected a rejection');
    } catch (e) {
      expect(e).toMatchObject({ code: 'ERR_AGENTS_TASK_FAILED', reason: 'ERR_PQL_INVALID_INPUT', retryable: false });
    }
    expect(await code(m.perform('verify', { message: utf8('x'), signature: new Uint8Array(1) }))).toBe('ERR_AGENTS_INVALID_INPUT');
    expect(await code(m.perform('decapsulate', { cipherText: new Uint8Array(3) }))).toBe('ERR_AGENTS_TASK_FAILED');
    expect((await m.perform('sign', { message: utf8('still fine') })).signature.length).toBeGreaterThan(0);
  }, 60_000);

  it('fail_abort: an aborted perform rejects with ERR_AGENTS_ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await code(m.perform('sign', { message: utf8('x') }, { signal: ac.signal }))).toBe('ERR_AGENTS_ABORTED');
  });
});

describe('he agent', () => {
  it('good_he.sum in the pool decrypts to the plaintext sum', async () => {
    const keys = await HeKeySet.generate('bfv-n4096');
    const client = await HeClient.create(keys, defineSchema([{ path: 'n', type: 'integer', min: 0, max: 1000 }]));
    try {
      const vals = Array.from({ length: 300 }, (_, i) => i % 1001);
      const inputs = client.encryptColumn('n', vals).map((c) => encodeCiphertext(c));
      const bundle = await (await keys.evaluationBundle()).encode();
      const sum = await m.perform('he.sum', { bundle, inputs, path: 'n' });
      expect(client.decrypt(decodeCiphertext(sum))).toEqual([vals.reduce((a, b) => a + b, 0)]);
      expect(await m.perform('he.count', { bundle, inputs, path: 'n' })).toBe(300);
      // a secret key set is refused by @nqc/she inside the worker
      const bad = await keys.encode();
      await expect(m.perform('he.sum', { bundle: bad, inputs, path: 'n' })).rejects.toMatchObject({ code: 'ERR_AGENTS_TASK_FAILED' });
    } finally {
      client.dispose();
      keys.dispose();
    }
  }, 120_000);
});

describe('status and metrics', () => {
  it('good_status: algorithms, public keys and purposes, pools, health; no secret', () => {
    const s = m.status();
    expect(s.health).toBe('ok');
    expect(s.algorithms.signature).toContain('mldsa65');
    expect(s.algorithms.kem).toContain('xwing');
    expect(s.keys.length).toBeGreaterThan(0);
    for (const k of s.keys) expect(Object.keys(k).sort()).toEqual(['algorithm', 'created', 'id', 'publicKey', 'purpose', 'status']);
    const text = JSON.stringify(s);
    expect(text).not.toMatch(/SECRET/i);
    expect(s.agents.find((a) => a.name === 'pq')!.pool).toMatchObject({ name: 'pq', maxThreads: 1, open: true });
    expect(s.uptimeSeconds).toBeGreaterThan(0);
  });

  it('good_metrics: the Prometheus text names every nqc metric with its labels', async () => {
    const text = await m.metrics.registry.metrics();
    expect(text).toMatch(/nqc_task_duration_seconds_bucket\{le="[^"]+",agent="pq",op="sign"\}/);
    expect(text).toMatch(/nqc_tasks_total\{agent="pq",op="sign",outcome="ok"\} \d+/);
    expect(text).toMatch(/nqc_tasks_total\{agent="pq",op="sign",outcome="failed"\} 3/); // bad input, disabled key, unknown key
    expect(text).toMatch(/nqc_tasks_total\{agent="pq",op="sign",outcome="aborted"\} 1/);
    expect(text).toMatch(/nqc_crypto_failures_total\{reason="ERR_AGENTS_KEY"\} 2/);
    expect(text).toMatch(/nqc_crypto_failures_total\{reason="ERR_PQL_INVALID_INPUT"\} 2/); // sign with a string, a 3-byte KEM ciphertext
    expect(text).toMatch(/nqc_pool_queue_depth\{agent="he"\} 0/);
    expect(text).toMatch(/nqc_pool_utilization\{agent="pq"\} [\d.e-]+/);
    expect(text).toMatch(/nqc_event_loop_lag_p99_seconds [\d.e-]+/);
    expect(text).toMatch(/nodejs_eventloop_lag_p99_seconds/);
    expect(text).not.toMatch(/op="nope"/); // unknown operations never become label values
  });

  it('fail_closed: a closed manager refuses work', async () => {
    const m2 = await SecurityManager.create({ pools: { pq: false, he: false, bulk: false }, metrics: { defaultMetrics: false } });
    await m2.close();
    expect(m2.status().health).toBe('closed');
    expect(await code(m2.perform('sign', { message: utf8('x') }))).toBe('ERR_AGENTS_CLOSED');
  });
});
