/**
 * Signed key configurations: the gateway's `application/ohttp-keys` document with a validity period,
 * signed by the server's ML-DSA identity key (`@nqc/pql`). Clients pin the server's `nqc-pub-...`
 * verifying key and accept only configurations it signed that are valid now.
 *
 * ```
 * Signed Key Configs {
 *   Version (8) = 1,
 *   Not Before (64),            // Unix seconds
 *   Not After (64),             // Unix seconds, > Not Before
 *   Key Configs Length (16),
 *   Key Configs (..),           // application/ohttp-keys (RFC 9540)
 *   Signature Length (16),
 *   Signature (..),             // over every byte before Signature Length,
 * }                             // context "nqc/v1/channel/key-config"
 * ```
 * @module
 */
import type { Signer, Verifier } from '@nqc/pql';
import { _checkBytes, _concat, _Reader, _u16, _u64, _utf8 } from './_bytes.js';
import { NqcChannelError } from './errors.js';
import { encodeKeyConfigs, parseKeyConfigs, type KeyConfig } from './key-config.js';

/** Media type of a signed key configuration document. */
export const SIGNED_KEYS_MEDIA_TYPE = 'application/nqc-signed-ohttp-keys';
/** Media type of a plain key configuration document (RFC 9540). */
export const KEYS_MEDIA_TYPE = 'application/ohttp-keys';
/** ML-DSA context string of key configuration signatures. */
export const KEY_CONFIG_SIGNATURE_CONTEXT = 'nqc/v1/channel/key-config';
/** Longest accepted signed document (the signature dominates: ML-DSA-87 is 4627 bytes). */
export const MAX_SIGNED_KEYS_LENGTH = 64 * 1024;
/** Longest accepted validity period: 400 days. */
export const MAX_VALIDITY_SECONDS = 400 * 24 * 3600;

const VERSION = 1;
const CONTEXT = _utf8(KEY_CONFIG_SIGNATURE_CONTEXT);

/** A verified signed configuration. */
export type SignedKeyConfigs = {
  /** The configurations (unsupported KEMs skipped). */
  readonly configs: readonly KeyConfig[];
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
  /** Key id (8 hex) of the server key that signed it. */
  readonly signerKeyId: string;
};

function seconds(d: Date, name: string): number {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(t) || t < 0) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `"${name}" expected a valid Date`);
  return Math.floor(t / 1000);
}

/** The signed body (everything the signature covers), after the validity checks. */
function signedBody(configs: readonly KeyConfig[], validity: { notBefore?: Date; notAfter: Date }): Uint8Array {
  const nb = seconds(validity.notBefore ?? new Date(), 'notBefore');
  const na = seconds(validity.notAfter, 'notAfter');
  if (na <= nb || na - nb > MAX_VALIDITY_SECONDS) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `validity must be 1 s..${MAX_VALIDITY_SECONDS} s, got ${na - nb} s`);
  const keys = encodeKeyConfigs(configs);
  return _concat(Uint8Array.of(VERSION), _u64(nb), _u64(na), _u16(keys.length), keys);
}

/**
 * Signs key configurations for `[notBefore, notAfter]`.
 * @example
 * ```ts
 * const doc = signKeyConfigs([key.config], serverSigningKey, { notAfter: new Date(Date.now() + 7 * 86400e3) });
 * ```
 * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT (bad dates, period over {@link MAX_VALIDITY_SECONDS})
 */
export function signKeyConfigs(configs: readonly KeyConfig[], signer: Signer, validity: { notBefore?: Date; notAfter: Date }): Uint8Array {
  const body = signedBody(configs, validity);
  const sig = signer.sign(body, { context: CONTEXT });
  return _concat(body, _u16(sig.length), sig);
}

/**
 * A signer whose `sign` may answer asynchronously, e.g. a key held by the custody agent
 * (`agentSigner(client)` of `@nqc/agents/custody`).
 */
export type KeyConfigSigner = {
  /** Signs `message` under `options.context`. */
  sign(message: Uint8Array, options: { context: Uint8Array }): Uint8Array | Promise<Uint8Array>;
};

/**
 * {@link signKeyConfigs} with a signer that may be asynchronous: the server's signing key can stay in
 * the custody agent's process. Same document, same checks; the signer's own errors pass through.
 * @example
 * ```ts
 * const doc = await signKeyConfigsAsync([key.config], await agentSigner(agent), { notAfter });
 * ```
 * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT (bad dates, period over {@link MAX_VALIDITY_SECONDS}, a signer answer that is not 1-65535 bytes)
 */
export async function signKeyConfigsAsync(configs: readonly KeyConfig[], signer: KeyConfigSigner, validity: { notBefore?: Date; notAfter: Date }): Promise<Uint8Array> {
  const body = signedBody(configs, validity);
  const sig: unknown = await signer.sign(body, { context: CONTEXT });
  if (!ArrayBuffer.isView(sig) || sig.byteLength < 1 || sig.byteLength > 0xffff) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'the signer did not return a signature');
  const bytes = new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength);
  return _concat(body, _u16(bytes.length), bytes);
}

/** Options of {@link verifyKeyConfigs}. */
export type VerifyKeyConfigsOptions = {
  /** The time to check validity at (default now). */
  now?: Date;
  /** Tolerated clock difference in seconds (default 60). */
  clockSkewSeconds?: number;
};

/**
 * Parses and verifies a signed configuration under the pinned server key, then checks validity.
 * @throws {NqcChannelError} ERR_CHANNEL_LIMIT, ERR_CHANNEL_MALFORMED, ERR_CHANNEL_BAD_SIGNATURE, ERR_CHANNEL_EXPIRED
 */
export function verifyKeyConfigs(bytes: Uint8Array, serverKey: Verifier, options: VerifyKeyConfigsOptions = {}): SignedKeyConfigs {
  _checkBytes('bytes', bytes);
  if (bytes.length > MAX_SIGNED_KEYS_LENGTH) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `signed key configuration is ${bytes.length} bytes, limit ${MAX_SIGNED_KEYS_LENGTH}`);
  const r = new _Reader(bytes, 'signed key configuration');
  const version = r.u8();
  if (version !== VERSION) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', `signed key configuration version ${version} is not supported`);
  const nb = r.u64();
  const na = r.u64();
  const keys = r.bytes(r.u16());
  const bodyEnd = r.offset;
  const sig = r.bytes(r.u16());
  r.end();
  if (!serverKey.verify(sig, bytes.subarray(0, bodyEnd), { context: CONTEXT })) {
    throw new NqcChannelError('ERR_CHANNEL_BAD_SIGNATURE', 'key configuration is not signed by the pinned server key');
  }
  if (na <= nb) throw new NqcChannelError('ERR_CHANNEL_MALFORMED', 'signed key configuration has an empty validity period');
  const now = seconds(options.now ?? new Date(), 'now');
  const skew = options.clockSkewSeconds ?? 60;
  if (now + skew < nb || now - skew >= na) throw new NqcChannelError('ERR_CHANNEL_EXPIRED', 'key configuration is not valid at this time');
  const configs = parseKeyConfigs(keys);
  return Object.freeze({ configs: Object.freeze(configs), notBefore: new Date(nb * 1000), notAfter: new Date(na * 1000), signerKeyId: serverKey.keyId });
}
