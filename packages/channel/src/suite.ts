/**
 * HPKE suites (RFC 9180, draft-ietf-hpke-pq) from the `hpke` library with `@panva/hpke-noble`.
 * No HPKE code of our own: this file only names the algorithms and caches the library objects.
 * @module
 */
import { CipherSuite, type AEAD, type KDF } from 'hpke';
import * as noble from '@panva/hpke-noble';
import { NqcChannelError } from './errors.js';

/** HPKE KEM id of X-Wing, MLKEM768-X25519 (draft-ietf-hpke-pq): the default, post-quantum hybrid. */
export const KEM_XWING = 0x647a;
/**
 * HPKE KEM id of DHKEM(X25519, HKDF-SHA256) (RFC 9180). Classical only: offered for the RFC 9458
 * known-answer vectors and for interop tests; clients refuse it unless `allowClassical` is set.
 */
export const KEM_X25519 = 0x0020;
/** HPKE KDF id of HKDF-SHA256. */
export const KDF_HKDF_SHA256 = 0x0001;
/** HPKE AEAD id of AES-128-GCM. */
export const AEAD_AES_128_GCM = 0x0001;
/** HPKE AEAD id of AES-256-GCM. */
export const AEAD_AES_256_GCM = 0x0002;
/** HPKE AEAD id of ChaCha20-Poly1305 (the default). */
export const AEAD_CHACHA20_POLY1305 = 0x0003;

/** A (KDF, AEAD) pair offered by a key configuration. */
export type SymmetricSuite = { readonly kdf: number; readonly aead: number };

/** A full HPKE suite: KEM, KDF and AEAD ids. */
export type Suite = { readonly kem: number } & SymmetricSuite;

/** The nqc suite: X-Wing, HKDF-SHA256, ChaCha20-Poly1305. */
export const DEFAULT_SUITE: Suite = Object.freeze({ kem: KEM_XWING, kdf: KDF_HKDF_SHA256, aead: AEAD_CHACHA20_POLY1305 });

type KemInfo = { factory: () => ReturnType<typeof noble.KEM_MLKEM768_X25519>; npk: number; nsk: number; nenc: number; pq: boolean };

const KEMS = new Map<number, KemInfo>([
  [KEM_XWING, { factory: noble.KEM_MLKEM768_X25519, npk: 1216, nsk: 32, nenc: 1120, pq: true }],
  [KEM_X25519, { factory: noble.KEM_DHKEM_X25519_HKDF_SHA256, npk: 32, nsk: 32, nenc: 32, pq: false }],
]);
const KDFS = new Map<number, () => Readonly<KDF>>([[KDF_HKDF_SHA256, noble.KDF_HKDF_SHA256]]);
const AEADS = new Map<number, () => Readonly<AEAD>>([
  [AEAD_AES_128_GCM, noble.AEAD_AES_128_GCM],
  [AEAD_AES_256_GCM, noble.AEAD_AES_256_GCM],
  [AEAD_CHACHA20_POLY1305, noble.AEAD_ChaCha20Poly1305],
]);

/** Lengths of a supported KEM, or undefined when the id is not supported. */
export function _kemInfo(kem: number): Omit<KemInfo, 'factory'> | undefined {
  const k = KEMS.get(kem);
  return k && { npk: k.npk, nsk: k.nsk, nenc: k.nenc, pq: k.pq };
}

/** True when this package implements `suite`. */
export function isSupportedSuite(suite: Suite): boolean {
  return KEMS.has(suite.kem) && KDFS.has(suite.kdf) && AEADS.has(suite.aead);
}

const cache = new Map<string, CipherSuite>();

/** The library's CipherSuite for `suite` (cached). @throws ERR_CHANNEL_UNKNOWN_KEY when unsupported. */
export function _cipherSuite(suite: Suite): CipherSuite {
  const name = `${suite.kem}/${suite.kdf}/${suite.aead}`;
  let cs = cache.get(name);
  if (cs === undefined) {
    const kem = KEMS.get(suite.kem);
    const kdf = KDFS.get(suite.kdf);
    const aead = AEADS.get(suite.aead);
    if (!kem || !kdf || !aead) throw new NqcChannelError('ERR_CHANNEL_UNKNOWN_KEY', `unsupported hpke suite ${_suiteName(suite)}`);
    cs = new CipherSuite(kem.factory, kdf, aead);
    cache.set(name, cs);
  }
  return cs;
}

/** The library's KDF and AEAD objects, for the OHTTP response key schedule (RFC 9458 Section 4.4). */
export function _symmetric(suite: SymmetricSuite): { kdf: Readonly<KDF>; aead: Readonly<AEAD> } {
  const kdf = KDFS.get(suite.kdf);
  const aead = AEADS.get(suite.aead);
  if (!kdf || !aead) throw new NqcChannelError('ERR_CHANNEL_UNKNOWN_KEY', `unsupported hpke kdf/aead 0x${suite.kdf.toString(16)}/0x${suite.aead.toString(16)}`);
  return { kdf: kdf(), aead: aead() };
}

/** `0x647a-0x0001-0x0003`: the form used in status headers. */
export function _suiteName(suite: Suite): string {
  const h = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
  return `${h(suite.kem)}-${h(suite.kdf)}-${h(suite.aead)}`;
}
