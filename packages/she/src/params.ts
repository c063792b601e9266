// Parameter presets, pinned and checked against what SEAL builds from them.
import { fail } from './errors.js';
import { loadSeal, sealCall, type Seal } from './seal.js';
import { levelPrimeBits, type SealLevel } from './_sealct.js';
import type { BatchEncoder } from 'node-seal/implementation/batch-encoder.js';
import type { CKKSEncoder } from 'node-seal/implementation/ckks-encoder.js';
import type { Context } from 'node-seal/implementation/context.js';
import type { ContextData } from 'node-seal/implementation/context-data.js';
import type { Evaluator } from 'node-seal/implementation/evaluator.js';

/** Homomorphic scheme: BFV (exact integers) or CKKS (approximate reals). */
export type HeScheme = 'bfv' | 'ckks';

/** Names of the built-in parameter presets. */
export type HePresetName = 'bfv-n4096' | 'bfv-n8192' | 'ckks-n8192';

/**
 * A 128-bit-secure parameter set (HomomorphicEncryption.org standard bounds, enforced by SEAL's
 * `sec_level_type::tc128` check when the context is built).
 */
export interface HePreset {
  /** The `paramsId` that ciphertexts and keys carry. Changing anything below changes it. */
  readonly id: string;
  /** Preset name. */
  readonly name: HePresetName;
  readonly scheme: HeScheme;
  /** Ring dimension N. */
  readonly polyModulusDegree: number;
  /** Bit sizes of the coefficient-modulus primes (the last one is SEAL's special key-switching prime). */
  readonly coeffModulusBits: readonly number[];
  /** BFV: the batching plain modulus t (prime, t ≡ 1 mod 2N), pinned. Every result must lie in (-t/2, t/2). */
  readonly plainModulus: bigint;
  /** CKKS: log2 of the encoding scale. */
  readonly scaleBits: number;
  /**
   * Levels of SEAL's modulus-switching chain that carry data (pinned; SEAL stops the BFV chain where the
   * modulus would fall below the plain modulus).
   */
  readonly dataLevels: number;
  /** Values per ciphertext: N for BFV batching, N/2 for CKKS. */
  readonly slots: number;
  /** Ciphertext-ciphertext multiplications the preset supports (0: sums and plaintext scalings only). */
  readonly multDepth: number;
  /**
   * BFV: the noise budget (bits) of a fresh ciphertext, measured with SEAL's `invariantNoiseBudget` and
   * lowered by 2 bits of margin. The evaluator's noise model starts from it.
   */
  readonly freshNoiseBudget: number;
}

/**
 * Built-in presets, chosen from measurements on Node 20 / node-seal 6.0.3 (see README, Parameters).
 * - `bfv-n4096`: sums, means, scalar-weighted sums of integers up to |result| < 2^39. No products.
 * - `bfv-n8192`: everything, including one ciphertext multiplication (products, sums of squares),
 *   |result| < 2^59.
 * - `ckks-n8192`: reals; scale 2^40, two rescaling levels.
 */
export const PRESETS: Readonly<Record<HePresetName, HePreset>> = Object.freeze({
  'bfv-n4096': Object.freeze({
    id: 'nqc-she/v1/bfv-n4096-t40',
    name: 'bfv-n4096',
    scheme: 'bfv',
    polyModulusDegree: 4096,
    coeffModulusBits: Object.freeze([36, 36, 37]),
    plainModulus: 1099511480321n,
    scaleBits: 0,
    dataLevels: 1,
    slots: 4096,
    multDepth: 0,
    freshNoiseBudget: 25,
  }),
  'bfv-n8192': Object.freeze({
    id: 'nqc-she/v1/bfv-n8192-t60',
    name: 'bfv-n8192',
    scheme: 'bfv',
    polyModulusDegree: 8192,
    coeffModulusBits: Object.freeze([43, 43, 44, 44, 44]),
    plainModulus: 1152921504606830593n,
    scaleBits: 0,
    dataLevels: 3,
    slots: 8192,
    multDepth: 1,
    freshNoiseBudget: 107,
  }),
  'ckks-n8192': Object.freeze({
    id: 'nqc-she/v1/ckks-n8192-s40',
    name: 'ckks-n8192',
    scheme: 'ckks',
    polyModulusDegree: 8192,
    coeffModulusBits: Object.freeze([60, 40, 40, 60]),
    plainModulus: 0n,
    scaleBits: 40,
    dataLevels: 3,
    slots: 4096,
    multDepth: 2,
    freshNoiseBudget: 0,
  }),
} satisfies Record<HePresetName, HePreset>);

const testPresets: HePreset[] = [];

/**
 * @internal Test-only: registers an extra preset (the memory test uses a tiny N=1024 set to run 20,000
 * cycles quickly). Not exported from the package entry points.
 */
export function _registerTestPreset(p: HePreset): void {
  if (!p.id.startsWith('nqc-she/test/')) fail('ERR_SHE_PARAMS', 'test presets must use the nqc-she/test/ prefix');
  testPresets.push(Object.freeze({ ...p }));
}

/** @internal Looks a preset up by name or by id. */
export function presetById(idOrName: string): HePreset {
  for (const p of [...Object.values(PRESETS), ...testPresets]) if (p.id === idOrName || p.name === idOrName) return p;
  return fail('ERR_SHE_PARAMS', `unknown parameter set "${String(idOrName).slice(0, 64)}"`);
}

/** @internal Everything SEAL needs for one preset; built once per JS realm and kept. */
export interface PresetContext {
  readonly seal: Seal;
  readonly preset: HePreset;
  readonly context: Context;
  readonly evaluator: Evaluator;
  readonly batch?: BatchEncoder;
  readonly ckks?: CKKSEncoder;
  /** Bits of the coefficient modulus at each data level, from the top (fresh) level down. */
  readonly levelBits: readonly number[];
  /** parms_id and primes of each data level, top first (for the packed ciphertext form). */
  readonly levels: readonly SealLevel[];
}

const contexts = new Map<string, Promise<PresetContext>>();

/** @internal Returns the shared SEAL context of a preset (created on first use, never freed). */
export function presetContext(preset: HePreset): Promise<PresetContext> {
  let p = contexts.get(preset.id);
  if (!p) {
    p = build(preset);
    contexts.set(preset.id, p);
    p.catch(() => contexts.delete(preset.id));
  }
  return p;
}

async function build(preset: HePreset): Promise<PresetContext> {
  const seal = await loadSeal();
  return sealCall('building the SEAL context', () => {
    const scheme = preset.scheme === 'bfv' ? seal.SchemeType.bfv : seal.SchemeType.ckks;
    const parms = seal.EncryptionParameters(scheme);
    const cm = seal.CoeffModulus.Create(preset.polyModulusDegree, Int32Array.from(preset.coeffModulusBits));
    let pm: { delete(): void; value: bigint } | undefined;
    try {
      parms.setPolyModulusDegree(preset.polyModulusDegree);
      parms.setCoeffModulus(cm);
      if (preset.scheme === 'bfv') {
        pm = seal.PlainModulus.Batching(preset.polyModulusDegree, bitLength(preset.plainModulus));
        if (pm.value !== preset.plainModulus)
          fail('ERR_SHE_PARAMS', `SEAL chose plain modulus ${pm.value}, pinned ${preset.plainModulus}`);
        parms.setPlainModulus(pm as never);
      }
      const context = seal.Context(parms, true, seal.SecurityLevel.tc128);
      if (!context.parametersSet()) fail('ERR_SHE_PARAMS', `parameters of ${preset.id} rejected by SEAL`);
      const levelBits: number[] = [];
      const levels: SealLevel[] = [];
      // Walk the modulus-switching chain by chainIndex: past the last level node-seal hands back a
      // wrapper around a null pointer that reads as zeros forever (an endless loop if tested for null).
      for (let cd = context.firstContextData; ; ) {
        levelBits.push(cd.totalCoeffModulusBitCount);
        levels.push(levelOf(cd));
        const last = cd.chainIndex === 0;
        const next = last ? undefined : cd.nextContextData;
        cd.delete();
        if (!next) break;
        cd = next;
      }
      const evaluator = seal.Evaluator(context);
      const batch = preset.scheme === 'bfv' ? seal.BatchEncoder(context) : undefined;
      const ckks = preset.scheme === 'ckks' ? seal.CKKSEncoder(context) : undefined;
      const slots = batch ? batch.slotCount : ckks!.slotCount;
      if (slots !== preset.slots) fail('ERR_SHE_PARAMS', `slot count ${slots} differs from pinned ${preset.slots}`);
      const expected = levelPrimeBits(preset);
      if (levels.length !== expected.length || levels.some((l, i) => l.primes.map((q) => q.bits).join() !== expected[i]!.join()))
        fail('ERR_SHE_PARAMS', `SEAL's modulus chain for ${preset.id} differs from the pinned prime sizes`);
      return { seal, preset, context, evaluator, batch, ckks, levelBits, levels };
    } finally {
      pm?.delete();
      cm.delete();
      parms.delete();
    }
  });
}

function levelOf(cd: ContextData): SealLevel {
  const pid = cd.parmsId;
  const parms = cd.parms;
  try {
    const parmsId = new Uint8Array(BigUint64Array.from(pid.values).buffer);
    // little-endian u64s, as SEAL serialises them (WASM and every JS host we target are little-endian)
    const primes = [...parms.coeffModulus].map((q) => ({ hi: Number(q >> 32n), lo: Number(q & 0xffffffffn), bits: bitLength(q) }));
    return { parmsId, primes };
  } finally {
    pid.delete();
    parms.delete();
  }
}

function bitLength(v: bigint): number {
  return v.toString(2).length;
}
