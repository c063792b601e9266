// Key material: the owner's HeKeySet (secret key + public key) and the server's EvaluationBundle
// (public key, relinearisation keys, the Galois keys of exactly the rotations the server needs).
//
// Formats (big-endian, strict, capped; SEAL objects are zstd-compressed SEAL serialisations, relin and
// Galois keys in SEAL's seeded form, which halves them):
//   key set  "NQHK" | u8 version=1 | str16 paramsId | 16 bytes keyId | bytes32 secretKey | bytes32 publicKey
//   bundle   "NQHB" | u8 version=1 | str16 paramsId | 16 bytes keyId | bytes32 publicKey
//            | u8 hasRelin | [bytes32 relinKeys] | u16 nSteps | nSteps × i32 step (sorted, unique)
//            | [bytes32 galoisKeys, present iff nSteps > 0]
//   both end with SHA-256("nqc/v1/she/key-checksum" 0x00 || everything before): SEAL's key loaders are
//   not safe on malformed bytes (see _sealct.ts), so corrupted or truncated files are refused before
//   SEAL parses them. This is integrity, not authentication: a bundle that crosses an untrusted channel
//   must be signed (e.g. by @nqc/pql), and a server facing crafted keys should run SEAL in a worker
//   (@nqc/she/node).
// keyId = first 16 bytes of SHA-256("nqc/v1/she/key-id" 0x00 paramsId 0x00 publicKeyBytes), checked on
// every decode, so a bundle and its ciphertexts cannot be silently paired with other keys.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { Reader, Writer, equalBytesCT, toHex } from './_bytes.js';
import { NqcSheError, fail } from './errors.js';
import { presetById, presetContext, type HePreset, type HePresetName, type PresetContext } from './params.js';
import type { HeSchema } from './schema.js';
import { checkSealHeader, sealCall, scoped } from './seal.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';

const KEYSET_MAGIC = Uint8Array.of(0x4e, 0x51, 0x48, 0x4b); // "NQHK"
const BUNDLE_MAGIC = Uint8Array.of(0x4e, 0x51, 0x48, 0x42); // "NQHB"
/** Cap on one serialised SEAL key (secret, public, relinearisation). */
const MAX_KEY_BYTES = 8 << 20;
/** Cap on serialised Galois keys (N=8192 with 13 steps is ~14 MB). */
const MAX_GALOIS_BYTES = 96 << 20;
/** Cap on the number of rotation steps a bundle may carry. */
export const MAX_GALOIS_STEPS = 64;

/** Which server operations an evaluation bundle must support. */
export interface BundleOptions {
  /**
   * Column-layout aggregates (sum, mean, weighted sum, sum of squares) end with a rotate-and-add over
   * the slots, which needs log2(slots) Galois keys (BFV also the row swap). Default `true`.
   */
  readonly columnSums?: boolean;
  /**
   * Record layout: pairs of field paths whose per-record product the server will compute. Each pair
   * needs one rotation (from the second field's slot to the first's); requires `schema`.
   */
  readonly recordProducts?: readonly (readonly [string, string])[];
  /** The schema the record layout follows (slot i holds field i). */
  readonly schema?: HeSchema;
  /** Include relinearisation keys. Default: `true` when the preset allows a multiplication. */
  readonly relinearization?: boolean;
}

const CHECK_LABEL = new TextEncoder().encode('nqc/v1/she/key-checksum\0');

// SHA-256 from @noble/hashes, not Web Crypto: `crypto.subtle` is undefined on non-secure origins
// (a page served over plain http from a LAN address), and key ids must work there too.
async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Appends SHA-256(label || body): accidental corruption is caught before SEAL parses any key. */
async function withChecksum(body: Uint8Array): Promise<Uint8Array> {
  const out = new Uint8Array(body.length + 32);
  out.set(body);
  out.set(await sha256(CHECK_LABEL, body), body.length);
  return out;
}

async function stripChecksum(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  if (!(bytes instanceof Uint8Array)) fail('ERR_SHE_FORMAT', `${what}: expected Uint8Array`);
  if (bytes.length < 36) fail('ERR_SHE_FORMAT', `${what} is truncated`);
  const body = bytes.subarray(0, bytes.length - 32);
  if (!equalBytesCT(await sha256(CHECK_LABEL, body), bytes.subarray(bytes.length - 32)))
    fail('ERR_SHE_FORMAT', `${what} is corrupt or truncated (checksum mismatch)`);
  return body;
}

async function computeKeyId(paramsId: string, publicKey: Uint8Array): Promise<string> {
  const label = new TextEncoder().encode(`nqc/v1/she/key-id\0${paramsId}\0`);
  const h = await sha256(label, publicKey);
  return toHex(h.subarray(0, 16));
}

function presetArg(p: HePresetName | HePreset): HePreset {
  return typeof p === 'string' ? presetById(p) : presetById(p?.id);
}

/** @internal Rotation steps needed for column slot sums. BFV: 1,2,..,N/4 on rows plus 0 (row swap); CKKS: 1,..,N/4. */
export function columnSumSteps(preset: HePreset): number[] {
  const steps: number[] = preset.scheme === 'bfv' ? [0] : [];
  const rowLen = preset.scheme === 'bfv' ? preset.slots / 2 : preset.slots;
  for (let k = 1; k < rowLen; k *= 2) steps.push(k);
  return steps;
}

/**
 * The data owner's key set: the secret key (never give it to a server) and the public key.
 * Dispose it when done: the secret key lives in WASM memory until then.
 *
 * @example
 * ```ts
 * const keys = await HeKeySet.generate('bfv-n4096');
 * const bundle = await keys.evaluationBundle();   // send `await bundle.encode()` to the server
 * const secret = await keys.encode();              // store encrypted (e.g. in an nqc envelope)
 * ```
 */
export class HeKeySet {
  /** Id that ciphertexts and the bundle refer to (32 hex characters). */
  readonly keyId: string;
  /** The parameter preset. */
  readonly preset: HePreset;
  #pc: PresetContext;
  #secret: SecretKey | undefined;
  #secretBytes: Uint8Array;
  #publicKey: Uint8Array;

  private constructor(pc: PresetContext, keyId: string, secret: SecretKey, secretBytes: Uint8Array, publicKey: Uint8Array) {
    this.#pc = pc;
    this.preset = pc.preset;
    this.keyId = keyId;
    this.#secret = secret;
    this.#secretBytes = secretBytes;
    this.#publicKey = publicKey;
  }

  /** The parameter set id (`preset.id`). */
  get paramsId(): string {
    return this.preset.id;
  }

  /**
   * Generates a fresh key set for a preset (SEAL's key generator, seeded from its CSPRNG).
   * @param preset preset name or object, e.g. `'bfv-n4096'`
   */
  static async generate(preset: HePresetName | HePreset): Promise<HeKeySet> {
    const pc = await presetContext(presetArg(preset));
    const { seal } = pc;
    const { sk, skBytes, pkBytes } = sealCall('key generation', () =>
      scoped((s) => {
        const kg = s.add(seal.KeyGenerator(pc.context));
        const sk = kg.secretKey();
        const skBytes = sk.saveArray(seal.ComprModeType.zstd);
        const pkBytes = s.add(kg.createPublicKeySerializable()).saveArray(seal.ComprModeType.zstd);
        return { sk, skBytes, pkBytes };
      }),
    );
    return new HeKeySet(pc, await computeKeyId(pc.preset.id, pkBytes), sk, skBytes, pkBytes);
  }

  /**
   * Parses a key set written by {@link HeKeySet.encode}.
   * @throws NqcSheError `ERR_SHE_FORMAT` (malformed, truncated, wrong kind, key id mismatch),
   *   `ERR_SHE_PARAMS` (unknown preset)
   */
  static async decode(bytes: Uint8Array): Promise<HeKeySet> {
    if (bytes instanceof Uint8Array && bytes.length >= 4 && equalBytesCT(bytes.subarray(0, 4), BUNDLE_MAGIC))
      fail('ERR_SHE_KEY_KIND', 'this is an evaluation bundle, not a key set');
    const r = new Reader(await stripChecksum(bytes, 'key set'), 'key set');
    if (!equalBytesCT(r.raw(4), KEYSET_MAGIC)) fail('ERR_SHE_FORMAT', 'not an nqc HE key set (bad magic)');
    if (r.u8() !== 1) fail('ERR_SHE_FORMAT', 'unsupported key set version');
    const preset = presetById(r.str16(64, 'paramsId'));
    const keyId = toHex(r.raw(16));
    const skBytes = r.bytes32(MAX_KEY_BYTES, 'secret key');
    const pkBytes = r.bytes32(MAX_KEY_BYTES, 'public key');
    r.end();
    checkSealHeader(skBytes, 'secret key', MAX_KEY_BYTES);
    checkSealHeader(pkBytes, 'public key', MAX_KEY_BYTES);
    if ((await computeKeyId(preset.id, pkBytes)) !== keyId) fail('ERR_SHE_FORMAT', 'key set: key id does not match its public key');
    const pc = await presetContext(preset);
    const sk = sealCall(
      'loading the secret key',
      () => {
        const k = pc.seal.SecretKey();
        try {
          k.loadArray(pc.context, skBytes);
        } catch (e) {
          k.delete();
          throw e;
        }
        return k;
      },
      'ERR_SHE_FORMAT',
    );
    // The public key is validated by loading it once.
    sealCall(
      'loading the public key',
      () => scoped((s) => s.add(pc.seal.PublicKey()).loadArray(pc.context, pkBytes)),
      'ERR_SHE_FORMAT',
    );
    return new HeKeySet(pc, keyId, sk, skBytes, pkBytes);
  }

  /**
   * Serialises the whole key set, secret key included, with a trailing SHA-256 checksum (integrity
   * against corruption, not authentication). Protect the result like any secret key.
   */
  async encode(): Promise<Uint8Array> {
    this.#live();
    return withChecksum(new Writer()
      .raw(KEYSET_MAGIC)
      .u8(1)
      .str16(this.preset.id)
      .raw(hexBytes(this.keyId))
      .bytes32(this.#secretBytes)
      .bytes32(this.#publicKey)
      .finish());
  }

  /** The serialised public key (zstd, seeded form). */
  get publicKey(): Uint8Array {
    return this.#publicKey.slice();
  }

  /**
   * Creates the evaluation bundle a server needs for the given operations: public key,
   * relinearisation keys, and only the Galois keys of the rotations those operations use.
   * Measured sizes are in the README (N=8192 column sums: ~14 MB of Galois keys).
   */
  async evaluationBundle(options: BundleOptions = {}): Promise<EvaluationBundle> {
    const sk = this.#live();
    const preset = this.preset;
    const steps = new Set<number>();
    if (options.columnSums ?? true) for (const s of columnSumSteps(preset)) steps.add(s);
    if (options.recordProducts?.length) {
      const schema = options.schema;
      if (!schema) fail('ERR_SHE_INPUT', 'recordProducts needs the schema');
      for (const pair of options.recordProducts) {
        if (!Array.isArray(pair) || pair.length !== 2) fail('ERR_SHE_INPUT', 'recordProducts expects [pathA, pathB] pairs');
        const ia = schema.fields.findIndex((f) => f.path === pair[0]);
        const ib = schema.fields.findIndex((f) => f.path === pair[1]);
        if (ia < 0 || ib < 0) fail('ERR_SHE_SCHEMA', `recordProducts: unknown field in [${pair[0]}, ${pair[1]}]`);
        if (ia !== ib) steps.add(ib - ia);
      }
    }
    if (steps.size > MAX_GALOIS_STEPS) fail('ERR_SHE_INPUT', `too many rotation steps (${steps.size} > ${MAX_GALOIS_STEPS})`);
    const relin = options.relinearization ?? preset.multDepth > 0;
    const sorted = [...steps].sort((a, b) => a - b);
    const { seal, context } = this.#pc;
    const { rk, gk } = sealCall('evaluation key generation', () =>
      scoped((s) => {
        const kg = s.add(seal.KeyGenerator(context, sk));
        const rk = relin ? s.add(kg.createRelinKeysSerializable()).saveArray(seal.ComprModeType.zstd) : undefined;
        const gk = sorted.length
          ? s.add(kg.createGaloisKeysSerializable(Int32Array.from(sorted))).saveArray(seal.ComprModeType.zstd)
          : undefined;
        return { rk, gk };
      }),
    );
    return EvaluationBundle._create(preset, this.keyId, this.#publicKey, rk, sorted, gk);
  }

  /** Frees the secret key's WASM memory. The key set is unusable afterwards. Idempotent. */
  dispose(): void {
    this.#secret?.delete();
    this.#secret = undefined;
    this.#secretBytes.fill(0);
  }

  /** @internal */
  static _secret(k: HeKeySet): { sk: SecretKey; pc: PresetContext } {
    if (!(k instanceof HeKeySet)) fail('ERR_SHE_KEY_KIND', 'a secret HE key set (HeKeySet) is required');
    return { sk: k.#live(), pc: k.#pc };
  }

  #live(): SecretKey {
    if (!this.#secret) throw new NqcSheError('ERR_SHE_DISPOSED', 'key set was disposed');
    return this.#secret;
  }
}

function hexBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * What a server holds: public key, relinearisation keys and the Galois keys for the listed rotation
 * steps. It carries no secret key, and no API accepts it for decryption.
 */
export class EvaluationBundle {
  readonly keyId: string;
  readonly preset: HePreset;
  /** Serialised public key (lets the server or third parties encrypt new values, e.g. zeros). */
  readonly publicKey: Uint8Array;
  /** Serialised relinearisation keys, if included. */
  readonly relinKeys: Uint8Array | undefined;
  /** Rotation steps the Galois keys cover (0 = BFV row swap), sorted. */
  readonly galoisSteps: readonly number[];
  /** Serialised Galois keys, present iff `galoisSteps` is non-empty. */
  readonly galoisKeys: Uint8Array | undefined;
  // Brand: makes the type structurally distinct from HeKeySet (and vice versa).
  readonly #bundle = true;

  private constructor(
    preset: HePreset,
    keyId: string,
    publicKey: Uint8Array,
    relinKeys: Uint8Array | undefined,
    galoisSteps: readonly number[],
    galoisKeys: Uint8Array | undefined,
  ) {
    this.preset = preset;
    this.keyId = keyId;
    this.publicKey = publicKey;
    this.relinKeys = relinKeys;
    this.galoisSteps = Object.freeze([...galoisSteps]);
    this.galoisKeys = galoisKeys;
    void this.#bundle;
  }

  /** @internal */
  static _create(
    preset: HePreset,
    keyId: string,
    pk: Uint8Array,
    rk: Uint8Array | undefined,
    steps: readonly number[],
    gk: Uint8Array | undefined,
  ): EvaluationBundle {
    return new EvaluationBundle(preset, keyId, pk, rk, steps, gk);
  }

  /** The parameter set id. */
  get paramsId(): string {
    return this.preset.id;
  }

  /** Serialises the bundle (format in the module header), with a trailing SHA-256 checksum. */
  async encode(): Promise<Uint8Array> {
    const w = new Writer().raw(BUNDLE_MAGIC).u8(1).str16(this.preset.id).raw(hexBytes(this.keyId)).bytes32(this.publicKey);
    if (this.relinKeys) w.u8(1).bytes32(this.relinKeys);
    else w.u8(0);
    w.u16(this.galoisSteps.length);
    for (const s of this.galoisSteps) w.i32(s);
    if (this.galoisKeys) w.bytes32(this.galoisKeys);
    return withChecksum(w.finish());
  }

  /**
   * Parses and checks a bundle written by {@link EvaluationBundle.encode}. Key set bytes (which hold a
   * secret key) are refused with `ERR_SHE_KEY_KIND`: a server never parses secret key material.
   * SEAL-level validity of the keys is checked when an evaluator loads them.
   * @throws NqcSheError `ERR_SHE_FORMAT`, `ERR_SHE_KEY_KIND`, `ERR_SHE_PARAMS`
   */
  static async decode(bytes: Uint8Array): Promise<EvaluationBundle> {
    if (bytes instanceof Uint8Array && bytes.length >= 4 && equalBytesCT(bytes.subarray(0, 4), KEYSET_MAGIC))
      fail('ERR_SHE_KEY_KIND', 'refusing secret key material: this is a key set, not an evaluation bundle');
    const r = new Reader(await stripChecksum(bytes, 'evaluation bundle'), 'evaluation bundle');
    if (!equalBytesCT(r.raw(4), BUNDLE_MAGIC)) fail('ERR_SHE_FORMAT', 'not an nqc HE evaluation bundle (bad magic)');
    if (r.u8() !== 1) fail('ERR_SHE_FORMAT', 'unsupported evaluation bundle version');
    const preset = presetById(r.str16(64, 'paramsId'));
    const keyId = toHex(r.raw(16));
    const pk = r.bytes32(MAX_KEY_BYTES, 'public key');
    const hasRelin = r.u8();
    if (hasRelin > 1) fail('ERR_SHE_FORMAT', 'evaluation bundle: bad relinearisation flag');
    const rk = hasRelin ? r.bytes32(MAX_KEY_BYTES, 'relinearisation keys') : undefined;
    const n = r.u16();
    if (n > MAX_GALOIS_STEPS) fail('ERR_SHE_FORMAT', `evaluation bundle: ${n} rotation steps exceed the cap of ${MAX_GALOIS_STEPS}`);
    const steps: number[] = [];
    const half = preset.scheme === 'bfv' ? preset.slots / 2 : preset.slots;
    for (let i = 0; i < n; i++) {
      const s = r.i32();
      if (s <= -half || s >= half || (s === 0 && preset.scheme === 'ckks')) fail('ERR_SHE_FORMAT', `evaluation bundle: rotation step ${s} out of range`);
      if (i > 0 && s <= steps[i - 1]!) fail('ERR_SHE_FORMAT', 'evaluation bundle: rotation steps must be sorted and unique');
      steps.push(s);
    }
    const gk = n > 0 ? r.bytes32(MAX_GALOIS_BYTES, 'Galois keys') : undefined;
    r.end();
    checkSealHeader(pk, 'public key', MAX_KEY_BYTES);
    if (rk) checkSealHeader(rk, 'relinearisation keys', MAX_KEY_BYTES);
    if (gk) checkSealHeader(gk, 'Galois keys', MAX_GALOIS_BYTES);
    if ((await computeKeyId(preset.id, pk)) !== keyId) fail('ERR_SHE_FORMAT', 'evaluation bundle: key id does not match its public key');
    return new EvaluationBundle(preset, keyId, pk, rk, steps, gk);
  }
}
