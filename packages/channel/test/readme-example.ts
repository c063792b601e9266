import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey } from '@nqc/pql';
import { allowList, ChannelClient, Gateway, GatewayKey } from '@nqc/channel';
import { channelMiddleware } from '@nqc/channel/node';

// Server: an X-Wing gateway key, an ML-DSA-65 identity key that signs it, one allowed client.
const serverKey = generateSigningKey(), alice = generateSigningKey();
const gateway = new Gateway({ keys: [await GatewayKey.generate()], signingKey: serverKey, clients: allowList({ alice: alice.verifyingKey().toString() }), auth: 'require' });
const server = createServer(channelMiddleware(gateway, (req) => ({ status: 200, body: `hello ${req.client?.identity}` })));
await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// Client: pins the server's nqc-pub-... key (from configuration, not from the network), signs as alice.
const client = await ChannelClient.connect(origin, { serverKey: serverKey.verifyingKey().toString(), signingKey: alice });
const res = await client.fetch(`${origin}/hello`);
console.log(res.status, await res.text(), res.headers.get('nqc-channel')); // 200 hello alice suite=0x647a-0x0001-0x0003; key-config=0; client=…
server.close();
