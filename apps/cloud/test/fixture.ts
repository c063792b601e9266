// The owner's side for the server tests: keys made here, never sent; envelopes made with @nqc/core.
import { encryptDataset, generateIdentity, generateSigningKey, type JsonObject } from '@nqc/core/node';
import { defineSchema, HeClient, HeKeySet, type FieldSpec } from '@nqc/she';
import { buildServer } from '../src/server.js';
import { SqliteStore } from '../src/sqlite-store.js';
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
}

/** Starts a server on 127.0.0.1 (a real socket: fastify's inject needs ESM-only `cookie` under jest). */
export async function startServer(dataDir = ':memory:', extra: { maxEnvelopeBytes?: number; logger?: unknown } = {}) {
  const store = new SqliteStore(dataDir);
  const app = await buildServer({ store, ...(extra as object) });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const responses: string[] = [];
  const call = async ({ method = 'GET', url, payload, headers = {} }: Call): Promise<Reply> => {
    let body: Uint8Array | string | undefined;
    const h: Record<string, string> = { ...headers };
    if (payload instanceof Uint8Array) body = payload;
    else if (payload !== undefined) {
      body = JSON.stringify(payload);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(base + url, { method, headers: h, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    responses.push(text);
    return { statusCode: res.status, text, json: <T>() => JSON.parse(text) as T };
  };
  return { app: { inject: call }, base, store, responses, async close() { await app.close(); await store.close(); } };
}

export const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
