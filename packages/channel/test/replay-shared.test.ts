// A replay register shared by two gateway processes (here two gateways with the same key behind two
// node:http servers, sharing an asynchronous register as a database would be): a request answered by
// one is refused by the other. A register that fails (the database is down) refuses the request.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey } from '@nqc/pql';
import { allowList, ChannelClient, Gateway, GatewayKey, StrikeRegister, type ReplayRegister } from '../src/index.js';
import { channelMiddleware } from '../src/node.js';

const serverKey = generateSigningKey();
const alice = generateSigningKey();
const shared = new StrikeRegister();
let down = false;
// Asynchronous, like a database round trip.
const register: ReplayRegister = {
  async strike(enc, expiresAt, now) {
    await new Promise((r) => setTimeout(r, 5));
    if (down) throw new Error('database unreachable');
    shared.strike(enc, expiresAt, now);
  },
};
const calls: string[] = [];
const servers: Server[] = [];
const origins: string[] = [];

beforeAll(async () => {
  const key = await GatewayKey.generate({ keyId: 3 });
  for (const name of ['a', 'b']) {
    const gateway = new Gateway({ keys: [key], signingKey: serverKey, clients: allowList({ alice: alice.verifyingKey().toString() }), replay: register });
    const server = createServer(channelMiddleware(gateway, () => (calls.push(name), { status: 200, body: name })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    origins.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

describe('a shared, asynchronous replay register', () => {
  it('a request answered by gateway a is refused when replayed to gateway b (400), whose handler does not run', async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const transport = (async (input: string | URL | Request, init?: RequestInit) => {
      if (init?.method === 'POST') sent.push({ url: String(input), init });
      return fetch(input, init);
    }) as typeof fetch;
    const client = await ChannelClient.connect(origins[0]!, { serverKey: serverKey.verifyingKey().toString(), signingKey: alice, fetch: transport });
    expect(await (await client.fetch(`${origins[0]}/x`, { method: 'POST', body: 'once' })).text()).toBe('a');
    const { url, init } = sent[0]!;
    const other = url.replace(origins[0]!, origins[1]!);
    expect((await fetch(other, init)).status).toBe(400);
    expect((await fetch(url, init)).status).toBe(400);
    expect(calls).toEqual(['a']);
  }, 60_000);

  it('when the register fails, the request is refused (encapsulated 500) and the handler does not run', async () => {
    const client = await ChannelClient.connect(origins[1]!, { serverKey: serverKey.verifyingKey().toString(), signingKey: alice });
    down = true;
    try {
      const res = await client.fetch(`${origins[1]}/x`);
      expect(res.status).toBe(500);
    } finally {
      down = false;
    }
    expect(calls).toEqual(['a']);
    expect(await (await client.fetch(`${origins[1]}/x`)).text()).toBe('b');
  }, 60_000);
});
