// The SEAL worker threads are bounded: idle least-recently-used evaluators are closed, and a dataset
// whose evaluator was closed gets a new one on its next aggregate.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { EvaluatorCache } from '../src/evaluators.js';
import { makeOwner, type Owner } from './fixture.js';

let owner: Owner;
beforeAll(async () => {
  owner = await makeOwner();
}, 240_000);
afterAll(() => owner?.keys.dispose());

test('at most max worker threads are kept; an evicted dataset is served again', async () => {
  const cache = new EvaluatorCache(2);
  const keyIds: string[] = [];
  for (const id of ['a', 'b', 'c', 'a']) {
    keyIds.push(await cache.use(id, owner.bundle, async (ev) => ev.keyId));
    expect(cache.size).toBeLessThanOrEqual(2);
  }
  expect(new Set(keyIds)).toEqual(new Set([owner.keys.keyId]));
  await cache.close();
  expect(cache.size).toBe(0);
}, 240_000);

test('an evaluator in use is not closed under its caller', async () => {
  const cache = new EvaluatorCache(1);
  let release: (() => void) | undefined;
  const held = cache.use('a', owner.bundle, async (ev) => {
    await new Promise<void>((r) => (release = r));
    return ev.count([]);
  });
  while (!release) await new Promise((r) => setTimeout(r, 20)); // 'a' has its evaluator and holds it
  await cache.use('b', owner.bundle, async (ev) => ev.keyId);
  release();
  await expect(held).resolves.toBe(0);
  expect(cache.size).toBe(1);
  await cache.close();
}, 240_000);
