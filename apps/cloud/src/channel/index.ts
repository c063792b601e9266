/**
 * The cloud server's transport: every `/api` request arrives over `@nqc/channel` (RFC 9458 Oblivious
 * HTTP with HPKE X-Wing, chunked OHTTP for large bodies, ML-DSA client authentication bound to the
 * HPKE context, a strike register against replays). The gateway's key configuration is signed by
 * the server's ML-DSA-65 key. A user is their verifying key: the server resolves any valid key to its
 * canonical `nqc-pub-...` string and keeps public keys only (see `access.ts` for what each may do).
 * A replayed request is refused before any route runs with an outer `400 ERR_CLOUD_REPLAY`.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Gateway, type ChannelHandler, type ClientKeyResolver, type OuterResponse, type ReplayRegister, type StreamingOuterResponse } from '@nqc/channel';
import { nqcChannel } from '@nqc/channel/fastify';
import type { FastifyInstance } from 'fastify';
import { NqcCloudError, type ErrorBody } from '../errors.js';
import { generateChannelKeys, type ChannelKeys } from './keys.js';

export { assertMember, assertReader, assertWriter, canRead, isMember, userOf, verifyingKeys } from './access.js';
export { generateChannelKeys, loadOrCreateChannelKeys, type ChannelKeys } from './keys.js';

/** Channel options of the cloud server. */
export interface CloudChannelOptions {
  /** The server's channel keys (default: fresh ones, so clients must take the new verifying key). */
  readonly keys?: ChannelKeys | undefined;
  /** Called with the code of every request the gateway refused (replay, undecryptable, too large, bad signature). */
  readonly onRefuse?: ((code: string) => void) | undefined;
  /** Accepted clock difference between a client and the server, seconds (default 60). */
  readonly clockSkewSeconds?: number | undefined;
  /**
   * The replay register (default: one per process). Several server instances behind one address
   * must share one (with the same `keys`), or each accepts a replay once.
   */
  readonly replay?: ReplayRegister | undefined;
}

/** What {@link mountChannel} set up. */
export interface MountedChannel {
  /** The verifying key (`nqc-pub-...`) clients pin: it signs the gateway's key configuration. */
  readonly serverKey: string;
  /** The gateway. */
  readonly gateway: Gateway;
}

/** Any verifying key authenticates as itself: the user's identity is their key (authorisation is per dataset). */
const keyIsIdentity: ClientKeyResolver = { resolve: (key) => key.toString() };

/** The channel error code of the request being handled (set by the gateway's `onError`). */
const refusal = new AsyncLocalStorage<{ code?: string }>();

/** The outer answer to a replayed request: 400 with a typed code (the gateway's own says only "bad request"). */
function replayAnswer(): OuterResponse {
  const e = new NqcCloudError('ERR_CLOUD_REPLAY', 'this encapsulated request was received before (a replay): it was not run again; send a new one', 'ERR_CHANNEL_REPLAY');
  const body: ErrorBody = { error: { code: e.code, message: e.message, detail: e.detail } };
  return { status: e.status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: new TextEncoder().encode(JSON.stringify(body)) };
}

/** The gateway, with a replayed request answered {@link replayAnswer} (outer, unencrypted: the replayer has no key to read more). */
class CloudGateway extends Gateway {
  override async handle(body: Uint8Array, handler: ChannelHandler): Promise<OuterResponse> {
    const seen: { code?: string } = {};
    const out = await refusal.run(seen, () => super.handle(body, handler));
    return out.status === 400 && seen.code === 'ERR_CHANNEL_REPLAY' ? replayAnswer() : out;
  }

  override async handleChunked(source: AsyncIterable<Uint8Array>, handler: ChannelHandler): Promise<StreamingOuterResponse> {
    const seen: { code?: string } = {};
    const out = await refusal.run(seen, () => super.handleChunked(source, handler));
    if (out.status !== 400 || seen.code !== 'ERR_CHANNEL_REPLAY') return out;
    const answer = replayAnswer();
    return { ...answer, body: (async function* () { yield answer.body; })() };
  }
}

/** Prefix of the routes that only answer authenticated channel requests. */
export const API_PREFIX = '/api/';

/**
 * Mounts the gateway at `/.well-known/ohttp-gateway` (`GET`: the signed key configuration, plain
 * HTTP; `POST`: encapsulated requests, chunked or not) and refuses every `/api/` request that did
 * not come through it signed by a user's key (`401 ERR_CLOUD_UNAUTHENTICATED`). Register before the routes.
 * @param app - the server
 * @param opts - keys, refusal hook
 * @param maxBodyBytes - largest inner request body any route takes (the chunked cap is this plus 1 MiB)
 */
export async function mountChannel(app: FastifyInstance, opts: CloudChannelOptions, maxBodyBytes: number): Promise<MountedChannel> {
  const keys = opts.keys ?? (await generateChannelKeys());
  const MiB = 1 << 20;
  const gateway = new CloudGateway({
    keys: keys.gatewayKeys,
    signingKey: keys.signingKey,
    clients: keyIsIdentity,
    auth: 'optional', // routes decide: every /api route needs a client (below)
    clockSkewSeconds: opts.clockSkewSeconds ?? 60,
    ...(opts.replay ? { replay: opts.replay } : {}),
    // Inner bodies a little over the routes' largest limit, so the route answers a clear
    // ERR_CLOUD_TOO_LARGE; past this the gateway refuses with an outer 413 before any route runs.
    maxChunkedRequestLength: maxBodyBytes + MiB,
    onError: (e) => {
      const code = (e as { code?: unknown }).code;
      const c = typeof code === 'string' ? code : 'ERR_CHANNEL';
      const seen = refusal.getStore();
      if (seen && c === 'ERR_CHANNEL_REPLAY') seen.code = c;
      app.log.warn({ code: c }, 'channel request refused');
      opts.onRefuse?.(c);
    },
  });
  await app.register(nqcChannel, { gateway, maxChunkedBodyLength: maxBodyBytes + 2 * MiB });
  app.addHook('onRequest', async (req, reply) => {
    // By the matched route as well as the raw URL, so no spelling of the path (%-escapes) slips past.
    const api = req.url.startsWith(API_PREFIX) || (req.routeOptions.url ?? '').startsWith(API_PREFIX);
    if (!api || req.nqc?.client) return;
    const e = new NqcCloudError('ERR_CLOUD_UNAUTHENTICATED', req.nqc ? 'this request is not signed: /api needs the user\'s key' : 'requests to /api must come through the nqc channel (POST /.well-known/ohttp-gateway), signed with the user\'s key');
    const body: ErrorBody = { error: { code: e.code, message: e.message, detail: undefined } };
    return reply.status(e.status).send(body);
  });
  return { serverKey: keys.signingKey.verifyingKey().toString(), gateway };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The verifying key (`nqc-pub-...`) that signs the channel's key configuration: what clients pin. */
    channelServerKey: string;
  }
}
