// Challenge-response login: single-use, expiring challenges from the gateway, signed by the client.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateSigningKey } from '@nqc/pql';
import { CHALLENGE_HEADER, CHALLENGE_PATH, ChallengeStore, ChannelClient, NqcChannelError } from '../src/index.js';
import { startServer, type TestServer } from './_server.js';

let s: TestServer;
let clock = Date.now();
const challenges = new ChallengeStore({ ttlSeconds: 60, now: () => clock });
beforeAll(async () => {
  s = await startServer({ challenges, auth: (_m, path) => (path === '/login' ? 'challenge' : path === CHALLENGE_PATH ? 'challenge' : 'optional') });
});
afterAll(async () => {
  await s.close();
});

const connect = (signingKey = s.clientKey) => ChannelClient.connect(s.origin, { serverKey: s.serverKey.verifyingKey().toString(), signingKey });
const anon = () => ChannelClient.connect(s.origin, { serverKey: s.serverKey.verifyingKey().toString() });
const challenge = async (c: ChannelClient) => (await (await c.fetch(`${s.origin}${CHALLENGE_PATH}`)).text()).trim();

describe('challenge-response login', () => {
  it('login() fetches a challenge and signs the request with it', async () => {
    const client = await connect();
    const res = await client.login(`${s.origin}/login`, { method: 'POST', body: 'hi' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ identity: 'alice', body: 'hi', url: `${s.origin}/login` });
  }, 60_000);

  it('a signed request without a challenge, or with one made up, is refused (401)', async () => {
    const client = await connect();
    expect((await client.fetch(`${s.origin}/login`)).status).toBe(401);
    const madeUp = Buffer.alloc(32, 1).toString('base64');
    expect((await client.fetch(`${s.origin}/login`, { headers: { [CHALLENGE_HEADER]: madeUp } })).status).toBe(401);
  }, 60_000);

  it('a challenge is accepted once', async () => {
    const client = await connect();
    const c = await challenge(client);
    expect((await client.fetch(`${s.origin}/login`, { headers: { [CHALLENGE_HEADER]: c } })).status).toBe(200);
    expect((await client.fetch(`${s.origin}/login`, { headers: { [CHALLENGE_HEADER]: c } })).status).toBe(401);
  }, 60_000);

  it('an expired challenge is refused', async () => {
    const client = await connect();
    const c = await challenge(client);
    clock += 61_000;
    try {
      expect((await client.fetch(`${s.origin}/login`, { headers: { [CHALLENGE_HEADER]: c } })).status).toBe(401);
    } finally {
      clock -= 61_000;
    }
  }, 60_000);

  it('an anonymous client, or an unknown key, cannot use a challenge', async () => {
    const a = await anon();
    const c = await challenge(await connect());
    expect((await a.fetch(`${s.origin}/login`, { headers: { [CHALLENGE_HEADER]: c } })).status).toBe(401);
    const stranger = await connect(generateSigningKey());
    const c2 = await challenge(await connect());
    expect((await stranger.fetch(`${s.origin}/login`, { headers: { [CHALLENGE_HEADER]: c2 } })).status).toBe(401);
    await expect(a.login(`${s.origin}/login`)).rejects.toMatchObject({ code: 'ERR_CHANNEL_INVALID_INPUT' });
  }, 60_000);

  it('the store is bounded and fails closed; expired challenges make room', () => {
    let now = 0;
    const store = new ChallengeStore({ maxOutstanding: 2, ttlSeconds: 1, now: () => now });
    const a = store.issue();
    store.issue();
    expect(() => store.issue()).toThrow(NqcChannelError);
    now = 1000;
    expect(typeof store.issue()).toBe('string'); // the two expired ones were swept
    expect(store.size).toBe(1);
    expect(store.consume(a)).toBe(false); // expired and gone
    expect(store.consume('not a challenge')).toBe(false);
    expect(() => new ChallengeStore({ maxOutstanding: 0 })).toThrow(NqcChannelError);
  });
});
