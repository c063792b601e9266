// The owner's side for the server tests: keys made here, never sent; envelopes made with @nqc/core.
import { encryptDataset, generateIdentity, generateSigningKey, type JsonObject } from '@nqc/core/node';
import { defineSchema, HeClient, HeKeySet, type FieldSpec } from '@nqc/she';
import { ChannelClient } from '@nqc/channel';
import type { Signer } from '@nqc/pql';
import type { CloudChannelOptions } from '../src/channel/index.js';
import { buildServer } from '../src/server.js';
import { openTestStore } from './stores.js';
import { PATIENT_FIELDS } from '../src/patients.js';

export interface Owner {
  keys: HeKeySet;
  he: HeClient;
  bundle: Uint8Array;
  identity: ReturnType<typeof generateIdentity>;
  signer: ReturnType<typeof generateSigningKey>;
  seal(records: readonly JsonObject[], signer?: ReturnType<typeof generateSigningKey> | null): Promise<Uint8Array>;
}

export async function makeOwner(fields: readonly FieldSpec[] = PATIENT_FIELDS): Promise<Owner> {
  const keys = await HeKeySet.generate('bfv-n4096');
  const he = await HeClient.create(keys, defineSchema([...fields]));
  const bundle = await (await keys.evaluationBundle()).encode();
  const identity = generateIdentity();
  const signer = generateSigningKey();
  const seal = (records: readonly JsonObject[], by: ReturnType<typeof generateSigningKey> | null = signer) =>
    encryptDataset(records, { recipients: [identity.recipient().toString()], he, nde: 'off', ...(by ? { signer: by } : {}) });
  return { keys, he, bundle, identity, signer, seal };
}

export interface Reply {
  statusCode: number;
  text: string;
  json<T>(): T;
}

export interface Call {
  method?: string;
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
  /**
   * Who sends it: a user's signing key (through the channel, signed), `'anonymous'` (through the
   * channel, unsigned) or `'plain'` (plain HTTP, no channel). Default: the server's `user`.
   */
  as?: Signer | 'anonymous' | 'plain';
}

/**
 * Starts a server on 127.0.0.1 (a real socket: fastify's inject needs ESM-only `cookie` under jest).
 * `inject` sends every request through @nqc/channel (ChannelClient: OHTTP, chunked above 256 KiB),
 * signed by `extra.user` (default: a fresh key) unless the call says otherwise (`as`).
 */
export async function startServer(dataDir = ':memory:', extra: { maxEnvelopeBytes?: number; maxDatasetBytes?: number; logger?: unknown; user?: Signer; channel?: CloudChannelOptions; pageDir?: string } = {}) {
  const opened = await openTestStore(dataDir);
  const { store, jobs } = opened;
  const { user = generateSigningKey(), ...options } = extra;
  const app = await buildServer({ store, jobs, ...(options as object) });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const responses: string[] = [];
  const clients = new Map<Signer | 'anonymous', Promise<ChannelClient>>();
  const client = (who: Signer | 'anonymous') => {
    let c = clients.get(who);
    if (!c) clients.set(who, (c = ChannelClient.connect(base, { serverKey: app.channelServerKey, ...(who === 'anonymous' ? {} : { signingKey: who }) })));
    return c;
  };
  const call = async ({ method = 'GET', url, payload, headers = {}, as = user }: Call): Promise<Reply> => {
    let body: Uint8Array | string | undefined;
    const h: Record<string, string> = { ...headers };
    if (payload instanceof Uint8Array) body = payload;
    else if (payload !== undefined) {
      body = JSON.stringify(payload);
      h['content-type'] ??= 'application/json';
    }
    const init = { method, headers: h, ...(body === undefined ? {} : { body }) };
    const res = as === 'plain' ? await fetch(base + url, init) : await (await client(as)).fetch(base + url, init);
    const text = await res.text();
    responses.push(text);
    return { statusCode: res.status, text, json: <T>() => JSON.parse(text) as T };
  };
  return { app: { inject: call }, base, store, responses, user, client, serverKey: app.channelServerKey, async close() { await app.close(); await opened.close(); } };
}

export const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
