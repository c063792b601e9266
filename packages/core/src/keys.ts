// Key handling: turns what a user has (pql objects, key strings, identity-file text, keysets) into the
// recipients, identities, signer and verifiers the envelope needs.
import type { SignerInfo, Signer as ContainerSigner, Stanza as ContainerStanza } from '@nqc/container';
import {
  ENVELOPE_SIGNATURE_CONTEXT,
  getSignature,
  isEncryptedIdentityFile,
  Keyset,
  parseIdentity,
  parseIdentityFile,
  parseRecipient,
  parseSigningKey,
  parseVerifyingKey,
  SigningKey,
  VerifyingKey,
  wrapToRecipients,
  type Identity,
  type Recipient,
  type SignatureOptions,
  type Signer,
  type Stanza,
  type Verifier,
} from '@nqc/pql';
import { fail, NqcCoreError } from './errors.js';

/**
 * A recipient: a pql `Recipient` (e.g. `KemRecipient`), a recipient key string (`nqc-xwing-1...`,
 * `nqc-mlkem1024-1...`), a `Keyset` (its primary encryption key), or anything with a `recipient()`
 * method returning a Recipient (e.g. a `KemIdentity`: encrypt to yourself).
 */
export type RecipientInput = Recipient | string | Keyset | { recipient(): Recipient };

/**
 * An identity: a pql `Identity` (e.g. `KemIdentity`), a secret identity string (`NQC-SECRET-...`),
 * the text of an unprotected identity file, or a `Keyset` (its primary and enabled keys). Protected
 * identity files: parse them with `parseIdentityFile(text, { passphrase })` (or `loadIdentities` from
 * `@nqc/core/node`) and pass the result's `identities`.
 */
export type IdentityInput = Identity | AsyncIdentity | string | Keyset;

/**
 * An identity whose unwrapping may be asynchronous: a key held elsewhere (a custody agent, an HSM, a
 * remote service). Same contract as pql's `Identity`: resolve with the 32-byte file key, or `null`
 * when no stanza is for it ("not mine": the next identity is tried). A rejection ends the decryption
 * with `ERR_CORE_IDENTITY_FAILED` (the original error is its `cause`); a synchronous `Identity` is
 * called exactly as before, with no promise in between.
 * @example
 * ```ts
 * const remote: AsyncIdentity = { unwrapFileKey: (stanzas) => agent.unwrapFileKey(stanzas) };
 * await decrypt(envelope, { identities: [remote] });
 * ```
 */
export interface AsyncIdentity {
  /** The file key for these stanzas, or `null` when none is for this identity. */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null | Promise<Uint8Array | null>;
}

/**
 * A signer whose `sign` may be asynchronous (a key held by a custody agent). Like pql's `Signer`:
 * `algorithm` and `publicKey` go into the header before the payload, and `sign` is called once, after
 * the last chunk, with the transcript and `{ context }` (`nqc/v1/envelope`). A rejection fails the
 * encryption with `ERR_CORE_SIGNER_FAILED` (the original error is its `cause`).
 */
export interface AsyncSigner {
  /** Registered signature algorithm id, e.g. `mldsa65`. */
  readonly algorithm: string;
  /** Encoded public key (written in the header). */
  readonly publicKey: Uint8Array;
  /** Signs `message` under `options.context`. */
  sign(message: Uint8Array, options?: SignatureOptions): Uint8Array | Promise<Uint8Array>;
}

/**
 * A signer: a pql `SigningKey`, a signing-key string (`NQC-SIGN-SECRET-...`), a `Keyset` (its
 * primary signing key), or an {@link AsyncSigner} (e.g. `agentSigner` of `@nqc/agents/custody`).
 */
export type SignerInput = Signer | AsyncSigner | string | Keyset;

/** A trusted signer: a pql `VerifyingKey`, a verifying-key string (`nqc-pub-...`), a `SigningKey`, or a `Keyset` (its primary and enabled signing keys). */
export type VerifierInput = Verifier | string | Keyset | SigningKey;

function asList<T>(v: T | readonly T[] | undefined, what: string): readonly T[] {
  if (v === undefined || v === null) fail('ERR_CORE_INVALID_ARGUMENT', `"${what}" is required`);
  return Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

function keyError(what: string, e: unknown): never {
  if (e instanceof NqcCoreError) throw e;
  const m = e instanceof Error ? e.message : String(e);
  fail('ERR_CORE_KEY', `${what}: ${m}`, e);
}

/** @internal Resolves recipient inputs; refuses an empty list. */
export function toRecipients(input: RecipientInput | readonly RecipientInput[] | undefined): Recipient[] {
  const list = asList(input, 'recipients');
  if (list.length === 0) fail('ERR_CORE_INVALID_ARGUMENT', '"recipients" must hold at least one recipient');
  return list.map((r, i) => {
    try {
      if (typeof r === 'string') return parseRecipient(r.trim());
      if (r instanceof Keyset) return r.primaryRecipient();
      if (r && typeof (r as Recipient).wrapFileKey === 'function') return r as Recipient;
      if (r && typeof (r as { recipient?: unknown }).recipient === 'function') return (r as { recipient(): Recipient }).recipient();
    } catch (e) {
      keyError(`recipient ${i}`, e);
    }
    return fail('ERR_CORE_KEY', `recipient ${i}: expected a Recipient, a recipient string or a Keyset`);
  });
}

/** @internal Resolves identity inputs; refuses an empty list. */
export function toIdentities(input: IdentityInput | readonly IdentityInput[] | undefined): AsyncIdentity[] {
  const list = asList(input, 'identities');
  if (list.length === 0) fail('ERR_CORE_INVALID_ARGUMENT', '"identities" must hold at least one identity');
  return list.flatMap((x, i): AsyncIdentity[] => {
    try {
      if (typeof x === 'string') {
        const text = x.trim();
        if (isEncryptedIdentityFile(text)) {
          fail('ERR_CORE_KEY', 'passphrase-protected identity file: parse it with parseIdentityFile(text, { passphrase })');
        }
        if (/[\r\n#]/.test(text)) return parseIdentityFile(text).identities;
        return [parseIdentity(text)];
      }
      if (x && typeof (x as AsyncIdentity).unwrapFileKey === 'function') return [x as AsyncIdentity];
    } catch (e) {
      keyError(`identity ${i}`, e);
    }
    return fail('ERR_CORE_KEY', `identity ${i}: expected an Identity, a secret identity string or a Keyset`);
  });
}

/** @internal Resolves a signer input. */
export function toSigner(input: SignerInput): AsyncSigner {
  try {
    if (typeof input === 'string') return parseSigningKey(input.trim());
    if (input instanceof Keyset) return input.primarySigner();
    const s = input as AsyncSigner;
    if (s && typeof s.sign === 'function' && typeof s.algorithm === 'string' && ArrayBuffer.isView(s.publicKey)) return s;
  } catch (e) {
    keyError('signer', e);
  }
  return fail('ERR_CORE_KEY', 'signer: expected a SigningKey, a signing-key string or a Keyset');
}

/** @internal Resolves trusted-signer inputs into verifying keys. */
export function toVerifiers(input: VerifierInput | readonly VerifierInput[]): Verifier[] {
  const list = asList(input, 'requireSigner');
  if (list.length === 0) fail('ERR_CORE_INVALID_ARGUMENT', '"requireSigner" must name at least one key');
  return list.flatMap((v, i): Verifier[] => {
    try {
      if (typeof v === 'string') return [parseVerifyingKey(v.trim())];
      if (v instanceof Keyset) return v.verifiers();
      if (v instanceof SigningKey) return [v.verifyingKey()];
      if (v && typeof (v as Verifier).verify === 'function' && (v as Verifier).publicKey instanceof Uint8Array) return [v as Verifier];
    } catch (e) {
      keyError(`requireSigner ${i}`, e);
    }
    return fail('ERR_CORE_KEY', `requireSigner ${i}: expected a VerifyingKey, a verifying-key string or a Keyset`);
  });
}

/** @internal Wraps the file key to every recipient (pql refuses non-PQ recipients). */
export function wrap(fileKey: Uint8Array, recipients: readonly Recipient[]): ContainerStanza[] {
  return wrapToRecipients(fileKey, recipients);
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as PromiseLike<unknown>).then === 'function';
}

/** Awaits an asynchronous identity's answer: a copied 32-byte file key or `null`; anything else is a typed error. */
async function settleIdentity(answer: PromiseLike<Uint8Array | null>, index: number): Promise<Uint8Array | null> {
  let fk: unknown;
  try {
    fk = await answer;
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return fail('ERR_CORE_IDENTITY_FAILED', `identity ${index} failed: ${m}`, e);
  }
  if (fk === null || fk === undefined) return null;
  if (!ArrayBuffer.isView(fk) || fk.byteLength !== 32) fail('ERR_CORE_IDENTITY_FAILED', `identity ${index} returned something other than a 32-byte file key or null`);
  return new Uint8Array(fk.buffer, fk.byteOffset, 32).slice();
}

async function unwrapRest(identities: readonly AsyncIdentity[], from: number, first: PromiseLike<Uint8Array | null>, list: Stanza[]): Promise<Uint8Array | null> {
  let fk = await settleIdentity(first, from);
  for (let i = from + 1; !fk && i < identities.length; i++) {
    const answer = identities[i]!.unwrapFileKey(list);
    fk = isThenable(answer) ? await settleIdentity(answer, i) : answer;
  }
  return fk ?? null;
}

/**
 * @internal The container's `unwrap`: tries each identity in order. "Not mine" is `null`; a malformed
 * stanza of an identity's own type (wrong body length: caught before any decapsulation) propagates.
 * Synchronous identities are answered synchronously; from the first {@link AsyncIdentity} that returns
 * a promise on, the rest is awaited in order (a rejection is `ERR_CORE_IDENTITY_FAILED`).
 */
export function unwrapWith(identities: readonly AsyncIdentity[]) {
  return (stanzas: readonly ContainerStanza[]): Uint8Array | null | Promise<Uint8Array | null> => {
    const list: Stanza[] = stanzas.map((s) => ({ type: s.type, args: [...s.args], body: s.body }));
    for (let i = 0; i < identities.length; i++) {
      const fk = identities[i]!.unwrapFileKey(list);
      if (isThenable(fk)) return unwrapRest(identities, i, fk, list);
      if (fk) return fk;
    }
    return null;
  };
}

/** Awaits an asynchronous signer's signature; a rejection is `ERR_CORE_SIGNER_FAILED`. */
async function settleSignature(answer: PromiseLike<Uint8Array>): Promise<Uint8Array> {
  let sig: unknown;
  try {
    sig = await answer;
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return fail('ERR_CORE_SIGNER_FAILED', `signer failed: ${m}`, e);
  }
  if (!ArrayBuffer.isView(sig)) fail('ERR_CORE_SIGNER_FAILED', 'signer returned something other than a signature');
  return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength).slice();
}

/**
 * @internal Adapts a pql signer to the container: the header carries the signer's algorithm id and
 * full public key (so anyone can check the signature and see who signed), the trailer has room for
 * the scheme's largest signature. The transcript is signed under pql's `ENVELOPE_SIGNATURE_CONTEXT`
 * (`nqc/v1/envelope`, FORMAT.md section 8), never the default `nqc/v1/sig`: an application that signs
 * attacker-chosen 32-byte messages with the default context cannot be used to sign envelopes.
 */
export function containerSigner(s: AsyncSigner): ContainerSigner {
  const max = getSignature(s.algorithm).maxSignatureLength;
  const key = new Uint8Array(s.publicKey.buffer, s.publicKey.byteOffset, s.publicKey.byteLength).slice();
  return {
    alg: s.algorithm,
    key,
    maxSignatureLength: max,
    sign: (t) => {
      const sig = s.sign(t, { context: ENVELOPE_SIGNATURE_CONTEXT });
      return isThenable(sig) ? settleSignature(sig) : sig;
    },
  };
}

/** Who signed an envelope, as reported by `decrypt` and `inspect`. */
export interface SignerReport {
  /** Signature algorithm id, e.g. `mldsa65`. */
  readonly algorithm: string;
  /** The signer's public key, as written in the header. */
  readonly publicKey: Uint8Array;
  /** Key id (8 hex chars) of the public key; `undefined` when the algorithm is unknown here. */
  readonly keyId: string | undefined;
  /** The verifying-key string (`nqc-pub-...`); `undefined` when the algorithm or key is unknown here. */
  readonly verifyingKey: string | undefined;
}

/** @internal */
export function signerReport(info: SignerInfo): SignerReport {
  let vk: VerifyingKey | undefined;
  try {
    vk = new VerifyingKey(info.alg, info.key);
  } catch {
    vk = undefined;
  }
  return { algorithm: info.alg, publicKey: info.key.slice(), keyId: vk?.keyId, verifyingKey: vk?.toString() };
}

function sameKey(v: Verifier, info: SignerInfo): boolean {
  if (v.algorithm !== info.alg || v.publicKey.length !== info.key.length) return false;
  let d = 0;
  for (let i = 0; i < info.key.length; i++) d |= v.publicKey[i]! ^ info.key[i]!;
  return d === 0;
}

/**
 * @internal The container's `verify`: checks the signature (context `nqc/v1/envelope`) with the public
 * key in the header, then, when `trusted` is given, that this key is one of them (`ERR_CORE_SIGNER_UNTRUSTED` otherwise).
 */
export function verifierFor(trusted: readonly Verifier[] | undefined) {
  return (info: SignerInfo, transcript: Uint8Array, signature: Uint8Array): boolean => {
    let vk: VerifyingKey;
    try {
      vk = new VerifyingKey(info.alg, info.key);
    } catch {
      return false; // unknown algorithm or malformed key: cannot verify
    }
    if (!vk.verify(signature, transcript, { context: ENVELOPE_SIGNATURE_CONTEXT })) return false;
    if (trusted && !trusted.some((t) => sameKey(t, info))) {
      fail('ERR_CORE_SIGNER_UNTRUSTED', `envelope is signed by ${vk.keyId} (${info.alg}), which is not a required signer`);
    }
    return true;
  };
}

export { parseVerifyingKey, parseRecipient, parseIdentity };
