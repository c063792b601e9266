// A page on a non-secure origin (plain http to a LAN address) has `crypto.getRandomValues` but no
// `crypto.subtle`. Key ids and key checksums must not need it (issue 10, item 1).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { HeKeySet, EvaluationBundle } from '../src/index.js';

const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');

beforeAll(() => {
  const { getRandomValues, randomUUID } = globalThis.crypto;
  const insecure = { getRandomValues: getRandomValues.bind(globalThis.crypto), randomUUID: randomUUID.bind(globalThis.crypto), subtle: undefined };
  Object.defineProperty(globalThis, 'crypto', { value: insecure, configurable: true, writable: true });
});

afterAll(() => {
  if (original) Object.defineProperty(globalThis, 'crypto', original);
});

describe('HE keys without crypto.subtle (non-secure origin)', () => {
  it('generates, encodes and decodes a key set and its bundle (decode re-checks the id)', async () => {
    expect(globalThis.crypto.subtle).toBeUndefined();
    const keys = await HeKeySet.generate('bfv-n4096');
    expect(keys.keyId).toMatch(/^[0-9a-f]{32}$/);
    const again = await HeKeySet.decode(await keys.encode());
    expect(again.keyId).toBe(keys.keyId);
    const bundle = await EvaluationBundle.decode(await (await keys.evaluationBundle()).encode());
    expect(bundle.keyId).toBe(keys.keyId);
    keys.dispose();
    again.dispose();
  }, 120_000);
});
