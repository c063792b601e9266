// Test helper: a gateway behind node:http on 127.0.0.1 (ephemeral port).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey, type SigningKey } from '@nqc/pql';
import { allowList, Gateway, GatewayKey, type ChannelHandler, type GatewayOptions } from '../src/index.js';
import { channelMiddleware } from '../src/node.js';

export type TestServer = { errors: string[]; origin: string; server: Server; gateway: Gateway; serverKey: SigningKey; clientKey: SigningKey; close(): Promise<void> };

export const echo: ChannelHandler = (req) => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ method: req.method, url: req.url, identity: req.client?.identity ?? null, body: new TextDecoder().decode(req.body) }),
});

export async function startServer(options: Partial<GatewayOptions> = {}, handler: ChannelHandler = echo): Promise<TestServer> {
  const serverKey = generateSigningKey();
  const clientKey = generateSigningKey();
  const errors: string[] = [];
  const gateway = new Gateway({
    onError: (e) => errors.push((e as { code?: string }).code ?? String(e)),
    keys: [await GatewayKey.generate({ keyId: 7 })],
    signingKey: serverKey,
    clients: allowList({ alice: clientKey.verifyingKey().toString() }),
    auth: (_method, path) => (path.startsWith('/private') ? 'require' : 'optional'),
    ...options,
  });
  const server = createServer(channelMiddleware(gateway, handler, { maxBodyLength: 256 * 1024 }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { errors, origin: `http://127.0.0.1:${port}`, server, gateway, serverKey, clientKey, close: () => new Promise((r) => server.close(() => r())) };
}
