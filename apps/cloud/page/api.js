// The page's transport: every call to the server's API goes through @nqc/channel (RFC 9458 Oblivious
// HTTP with HPKE X-Wing; chunked OHTTP for bodies over 256 KiB, e.g. the evaluation bundle and
// envelopes), signed with the user's ML-DSA key, so the server knows the caller by its verifying key.
//
// NOTE TO THE SCENARIOS ENGINEER (page/app.js owner) from the channel engineer:
// - `api(method, url, body, type)` below has the same signature and errors as page/http.js's `api`;
//   app.js imports it from './api.js' and tells it once who the user is with
//   `useIdentity(() => owner?.saved.identityFile)` (the identity file text the Worker made: its
//   signing key signs each request; nothing else of the user's leaves the page). http.js is then unused.
// - For new calls prefer `createApi({ identity })` (named functions below), or `api(...)` for any route.
// - Every /api route needs a signed channel request (plain fetch gets 401 ERR_CLOUD_UNAUTHENTICATED).
//   The dataset's creator is its owner; only enrolled writers upload (403 ERR_CLOUD_FORBIDDEN);
//   only the owner and `readers` (optional in createDataset) read aggregates, envelopes, audit.
// - The server key the client pins comes with the page: <meta name="nqc-server-key"> (src/page.ts).
import { ChannelClient } from '@nqc/channel';
import { parseIdentityFile } from '@nqc/pql';

/** An API error: `message` is "<server message> (<code>)", as the page shows it. */
export class ApiError extends Error {
  constructor(message, code, status) {
    super(`${message} (${code})`);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

const serverKeyOfPage = () => globalThis.document?.querySelector('meta[name="nqc-server-key"]')?.getAttribute('content') ?? undefined;

function signerOf(identity) {
  if (typeof identity !== 'string') return identity; // a @nqc/pql Signer
  const signer = parseIdentityFile(identity).signingKeys[0];
  if (!signer) throw new ApiError('the identity file has no signing key', 'ERR_CLOUD_CLIENT', 0);
  return signer;
}

/**
 * The cloud API for one user, over the channel.
 * @param {{ identity: string | import('@nqc/pql').Signer, baseUrl?: string, serverKey?: string, fetch?: typeof fetch }} options
 *   identity: the user's identity file text (its first signing key signs every request) or a Signer;
 *   baseUrl: the server (default: this page's origin); serverKey: the pinned `nqc-pub-...` key
 *   (default: the page's `<meta name="nqc-server-key">`).
 */
export function createApi({ identity, baseUrl = globalThis.location?.origin, serverKey = serverKeyOfPage(), fetch: transport } = {}) {
  if (!identity) throw new ApiError('no identity: create or import keys first', 'ERR_CLOUD_CLIENT', 0);
  if (!serverKey) throw new ApiError('no server key to pin (the page has no nqc-server-key)', 'ERR_CLOUD_CLIENT', 0);
  const signingKey = signerOf(identity);
  let client;
  const connect = () => (client ??= ChannelClient.connect(baseUrl, { serverKey, signingKey, ...(transport ? { fetch: transport } : {}) }).catch((e) => {
    client = undefined; // try again next time
    throw e;
  }));

  /** Any route: JSON in and out; a binary body with `type` application/octet-stream. */
  async function request(method, path, body, type = 'application/json') {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers['content-type'] = type;
      init.body = type === 'application/json' ? JSON.stringify(body) : body;
    }
    let res;
    try {
      res = await (await connect()).fetch(new URL(path, baseUrl).href, init);
    } catch (e) {
      // the channel refused (e.g. ERR_CHANNEL_LIMIT: the gateway's size cap) or the server is unreachable
      throw new ApiError(e?.message ?? String(e), e?.code ?? 'ERR_CLOUD_TRANSPORT', 0);
    }
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) throw new ApiError(json?.error?.message ?? (text || res.statusText), json?.error?.code ?? res.status, res.status);
    return json;
  }

  const id = (x) => encodeURIComponent(x);
  return {
    /** The user's verifying key: who the server sees. */
    verifyingKey: signingKey.verifyingKey?.().toString(),
    request,
    /** `{ name, writers, readers?, bundle }` (bundle base64): the caller becomes the owner. */
    createDataset: (spec) => request('POST', '/api/datasets', spec),
    listDatasets: async () => (await request('GET', '/api/datasets')).datasets,
    getDataset: (datasetId) => request('GET', `/api/datasets/${id(datasetId)}`),
    /** One signed envelope (Uint8Array); over 256 KiB it travels as chunked OHTTP. */
    upload: (datasetId, envelope) => request('POST', `/api/datasets/${id(datasetId)}/envelopes`, envelope, 'application/octet-stream'),
    envelopes: async (datasetId) => (await request('GET', `/api/datasets/${id(datasetId)}/envelopes`)).envelopes,
    /** `{ op, path, ...more }` as the server's aggregate route takes it. */
    aggregate: (datasetId, query) => request('POST', `/api/datasets/${id(datasetId)}/aggregate`, query),
    audit: async (datasetId, { since, limit } = {}) => {
      const q = new URLSearchParams({ dataset: datasetId, ...(since === undefined ? {} : { since: String(since) }), ...(limit === undefined ? {} : { limit: String(limit) }) });
      return (await request('GET', `/api/audit?${q}`)).entries;
    },
  };
}

// The drop-in for page/http.js: one API per identity, chosen by a function the page gives once.
let identityOf = () => undefined;
let current; // { identity, api }

/** Tells `api` who the user is: `get` returns the identity file text (or undefined: no keys). */
export function useIdentity(get) {
  identityOf = get;
  current = undefined;
}

/** Calls the server's API over the channel as the current user (same signature as http.js's `api`). */
export async function api(method, url, body, type = 'application/json') {
  const identity = identityOf();
  if (!identity) throw new ApiError('no keys yet: create or import keys first', 'ERR_CLOUD_CLIENT', 0);
  if (current?.identity !== identity) current = { identity, api: createApi({ identity }) };
  return current.api.request(method, url, body, type);
}
