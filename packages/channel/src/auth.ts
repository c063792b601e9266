/**
 * Client authentication inside the encapsulated request, in the spirit of RFC 9421: an ML-DSA
 * signature (any `@nqc/pql` signature scheme) over a value exported from the request's HPKE context
 * (channel binding, like a TLS exporter) plus the method, target, every other header field and the
 * content's SHA-256. The signature travels in inner header fields, so only the gateway sees it.
 *
 * Signature base (each `lp` is a QUIC-varint length prefix):
 * ```
 * lp("nqc/v1/channel/request-signature") || lp(binding) || lp(method) || lp(scheme) ||
 * lp(authority) || lp(path) || lp(header fields without nqc-auth-signature, as binary HTTP) ||
 * lp(SHA-256(content))
 * ```
 * with `binding = HPKE-Export("nqc/v1/channel/binding", 32)`, signed under the ML-DSA context
 * `nqc/v1/channel/request`.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeKeyString, parseVerifyingKey, type Keyset, type Signer, type Verifier, type VerifyingKey } from '@nqc/pql';
import { _base64, _concat, _equal, _fromBase64, _lp, _utf8 } from './_bytes.js';
import type { BhttpRequest, Fields } from './bhttp.js';
import { NqcChannelError } from './errors.js';
import type { RequestContext } from './ohttp.js';

/** Inner header carrying the request time, Unix seconds (always sent by the nqc client). */
export const CREATED_HEADER = 'nqc-created';
/** Inner header carrying the client's verifying key string (`nqc-pub-mldsa65-1...`). */
export const AUTH_KEY_HEADER = 'nqc-auth-key';
/** Inner header carrying the base64 signature. */
export const AUTH_SIGNATURE_HEADER = 'nqc-auth-signature';
/** ML-DSA context of request signatures. */
export const REQUEST_SIGNATURE_CONTEXT = 'nqc/v1/channel/request';
/** HPKE exporter label of the channel binding. */
export const BINDING_LABEL = 'nqc/v1/channel/binding';

const CONTEXT = _utf8(REQUEST_SIGNATURE_CONTEXT);
const BASE_LABEL = _utf8('nqc/v1/channel/request-signature');

/** Maps a client's verifying key to an identity (a user id), or undefined for an unknown key. */
export interface ClientKeyResolver {
  /** The identity that `key` authenticates, or undefined. */
  resolve(key: VerifyingKey): string | undefined | Promise<string | undefined>;
}

function sameKey(a: Verifier, b: Verifier): boolean {
  return a.algorithm === b.algorithm && _equal(a.publicKey, b.publicKey);
}

/**
 * An allow-list resolver: identity -> verifying key string(s), `Verifier`s, or a pql `Keyset`
 * (whose enabled and primary signing keys count, read at each request so rotation takes effect).
 * @example
 * ```ts
 * const clients = allowList({ alice: 'nqc-pub-mldsa65-1...', bob: bobKeyset });
 * ```
 * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT for a malformed key string
 */
export function allowList(entries: Record<string, string | Verifier | Keyset | readonly (string | Verifier)[]>): ClientKeyResolver {
  const table: [string, () => Verifier[]][] = Object.entries(entries).map(([id, e]) => {
    const list = Array.isArray(e) ? e : [e];
    if (list.length === 1 && typeof (list[0] as Keyset).verifiers === 'function') {
      const ks = list[0] as Keyset;
      return [id, () => ks.verifiers()];
    }
    const keys = (list as (string | Verifier)[]).map((k) => {
      if (typeof k !== 'string') return k;
      try {
        return parseVerifyingKey(k);
      } catch (cause) {
        throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `allow-list entry ${JSON.stringify(id)} is not a verifying key string`, { cause });
      }
    });
    return [id, () => keys];
  });
  return {
    resolve(key) {
      for (const [id, keys] of table) if (keys().some((k) => sameKey(k, key))) return id;
      return undefined;
    },
  };
}

/** @internal The channel binding value of a request context. */
export async function _binding(context: RequestContext): Promise<Uint8Array> {
  return context._hpke.Export(_utf8(BINDING_LABEL), 32);
}

function fieldsBytes(fields: Fields): Uint8Array {
  return _concat(...fields.filter(([n]) => n !== AUTH_SIGNATURE_HEADER).flatMap(([n, v]) => [_lp(_utf8(n)), _lp(_utf8(v))]));
}

/** @internal The bytes a client signs. */
export function _signatureBase(binding: Uint8Array, req: BhttpRequest): Uint8Array {
  return _concat(
    _lp(BASE_LABEL),
    _lp(binding),
    _lp(_utf8(req.method)),
    _lp(_utf8(req.scheme)),
    _lp(_utf8(req.authority)),
    _lp(_utf8(req.path)),
    _lp(fieldsBytes(req.headers)),
    _lp(sha256(req.content)),
  );
}

/** @internal Adds the authentication headers to `req` (signed by `signer`). */
export async function _signRequest(req: BhttpRequest, context: RequestContext, signer: Signer): Promise<BhttpRequest> {
  const headers: (readonly [string, string])[] = [...req.headers.filter(([n]) => n !== AUTH_KEY_HEADER && n !== AUTH_SIGNATURE_HEADER)];
  headers.push([AUTH_KEY_HEADER, encodeKeyString('verifying-key', signer.algorithm, signer.publicKey)]);
  const unsigned: BhttpRequest = { ...req, headers };
  const sig = signer.sign(_signatureBase(await _binding(context), unsigned), { context: CONTEXT });
  return { ...unsigned, headers: [...headers, [AUTH_SIGNATURE_HEADER, _base64(sig)]] };
}

function single(fields: Fields, name: string): string | undefined {
  const found = fields.filter(([n]) => n === name);
  if (found.length > 1) throw new NqcChannelError('ERR_CHANNEL_AUTH', `more than one ${name} field`);
  return found[0]?.[1];
}

/**
 * @internal Reads the request time (seconds) if present; strict decimal.
 * @throws ERR_CHANNEL_AUTH when malformed or outside the skew window
 */
export function _created(req: BhttpRequest, nowMs: number, skewSeconds: number): number | undefined {
  const v = single(req.headers, CREATED_HEADER);
  if (v === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(v)) throw new NqcChannelError('ERR_CHANNEL_AUTH', `malformed ${CREATED_HEADER}`);
  const t = Number(v);
  if (Math.abs(t * 1000 - nowMs) > skewSeconds * 1000) throw new NqcChannelError('ERR_CHANNEL_AUTH', 'request time is outside the accepted window');
  return t;
}

/** The authenticated client of a request. */
export type ClientIdentity = {
  /** What the resolver mapped the key to. */
  readonly identity: string;
  /** The client's verifying key. */
  readonly key: VerifyingKey;
};

/**
 * @internal Verifies the authentication headers: undefined when there are none.
 * @throws ERR_CHANNEL_AUTH for anything wrong (one message per cause, never secret)
 */
export async function _verifyRequest(req: BhttpRequest, context: RequestContext, resolver: ClientKeyResolver | undefined): Promise<ClientIdentity | undefined> {
  const keyText = single(req.headers, AUTH_KEY_HEADER);
  const sigText = single(req.headers, AUTH_SIGNATURE_HEADER);
  if (keyText === undefined && sigText === undefined) return undefined;
  if (keyText === undefined || sigText === undefined) throw new NqcChannelError('ERR_CHANNEL_AUTH', 'incomplete authentication fields');
  if (req.headers[req.headers.length - 1]?.[0] !== AUTH_SIGNATURE_HEADER) throw new NqcChannelError('ERR_CHANNEL_AUTH', `${AUTH_SIGNATURE_HEADER} must be the last field`);
  if (single(req.headers, CREATED_HEADER) === undefined) throw new NqcChannelError('ERR_CHANNEL_AUTH', `authenticated requests need ${CREATED_HEADER}`);
  let key: VerifyingKey;
  try {
    key = parseVerifyingKey(keyText);
  } catch {
    throw new NqcChannelError('ERR_CHANNEL_AUTH', 'malformed client key');
  }
  let sig: Uint8Array;
  try {
    sig = _fromBase64(sigText, 'signature');
  } catch {
    throw new NqcChannelError('ERR_CHANNEL_AUTH', 'malformed signature');
  }
  const identity = resolver ? await resolver.resolve(key) : undefined;
  if (identity === undefined) throw new NqcChannelError('ERR_CHANNEL_AUTH', 'unknown client key');
  if (!key.verify(sig, _signatureBase(await _binding(context), req), { context: CONTEXT })) {
    throw new NqcChannelError('ERR_CHANNEL_AUTH', 'bad client signature');
  }
  return Object.freeze({ identity, key });
}
