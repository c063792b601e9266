// Our compact, validated wire form of SEAL ciphertexts ("packed"), and its exact conversion to and
// from SEAL's uncompressed serialisation.
//
// Why: SEAL's own loaders are not safe on malformed bytes in this WASM build. Measured with node-seal
// 6.0.3: single-byte changes inside a zstd-compressed or even an uncompressed SEAL ciphertext make
// `loadArray` trap the WASM instance ("null function or function signature mismatch", "memory access
// out of bounds", "Aborted()"), after which the instance is unusable. So SEAL never parses bytes from
// outside: we parse and check every field and every coefficient (< its prime) here, then hand SEAL a
// serialisation we built ourselves. Bit-packing each coefficient to the size of its prime is also
// smaller than SEAL's zstd (bfv-n4096 seeded: 36.9 KB against ~46.4 KB).
//
// Packed form:  u8 form (1 = seeded: c0 + 64-byte PRNG seed; 2 = full: c0, c1)
//             | u8 level (0 = top data level) | f64 scale (big-endian) | [64-byte seed if seeded]
//             | polys: for each poly, for each prime q_i of the level, N coefficients of bitlen(q_i)
//               bits, packed little-endian; zero padding bits up to the byte.
// SEAL uncompressed ciphertext (4.1, little-endian): 16-byte SEAL header | parms_id 4×u64 | u8 is_ntt
//   | u64 size | u64 N | u64 coeff_modulus_size | f64 scale | u64 correction_factor (=1)
//   | DynArray (16-byte header, u64 count, count×u64) | [seeded: 16-byte header (size 81), u8 prng type 1
//   (BLAKE2xb), 64-byte seed].
import { fail } from './errors.js';
import type { HePreset } from './params.js';

/** @internal One level of the modulus chain. */
export interface SealLevel {
  /** parms_id as SEAL writes it (4 × u64 little-endian). */
  readonly parmsId: Uint8Array;
  /** The primes, as (hi, lo) 32-bit halves for fast comparison, and their bit lengths. */
  readonly primes: readonly { readonly hi: number; readonly lo: number; readonly bits: number }[];
}

const SEED_BYTES = 64;
const PRNG_BLAKE2XB = 1;
const HDR = 16;
const MEMBERS = 32 + 1 + 8 + 8 + 8 + 8 + 8;

/** @internal Bit sizes of the primes at each data level, from the preset alone. */
export function levelPrimeBits(preset: HePreset): number[][] {
  // The last prime is SEAL's special key-switching prime, except when there is only one.
  const all = preset.coeffModulusBits;
  const data = all.length > 1 ? all.slice(0, -1) : all;
  const out: number[][] = [];
  for (let k = data.length; k > data.length - preset.dataLevels; k--) out.push(data.slice(0, k));
  return out;
}

/** @internal Exact byte length of a packed ciphertext. */
export function packedLength(preset: HePreset, form: 1 | 2, level: number): number {
  const bits = levelPrimeBits(preset)[level]!;
  const perPoly = bits.reduce((a, b) => a + b, 0) * preset.polyModulusDegree;
  const polys = form === 1 ? 1 : 2;
  return 2 + 8 + (form === 1 ? SEED_BYTES : 0) + Math.ceil((perPoly * polys) / 8);
}

/** @internal Structural check of a packed ciphertext (no SEAL needed): form, level, scale, exact length. */
export function checkPacked(preset: HePreset, b: Uint8Array, what: string): { form: 1 | 2; level: number; scale: number } {
  if (!(b instanceof Uint8Array)) fail('ERR_SHE_FORMAT', `${what}: expected Uint8Array`);
  if (b.length < 10) fail('ERR_SHE_FORMAT', `${what}: ciphertext is truncated`);
  const form = b[0]!;
  const level = b[1]!;
  if (form !== 1 && form !== 2) fail('ERR_SHE_FORMAT', `${what}: unknown ciphertext form ${form}`);
  const levels = levelPrimeBits(preset).length;
  if (level >= levels) fail('ERR_SHE_FORMAT', `${what}: level ${level} does not exist in ${preset.id}`);
  if (form === 1 && level !== 0) fail('ERR_SHE_FORMAT', `${what}: a seeded ciphertext is always at the top level`);
  const scale = new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(2);
  if (preset.scheme === 'bfv' ? scale !== 1 : !(scale >= 1 && scale < 2 ** 200))
    fail('ERR_SHE_FORMAT', `${what}: invalid scale`);
  const want = packedLength(preset, form, level);
  if (b.length !== want) fail('ERR_SHE_FORMAT', `${what}: ciphertext is ${b.length} bytes, expected ${want}`);
  return { form, level, scale };
}

/** @internal Converts SEAL's uncompressed serialisation (which we produced) to the packed form. */
export function packSeal(preset: HePreset, levels: readonly SealLevel[], s: Uint8Array): Uint8Array {
  const dv = new DataView(s.buffer, s.byteOffset, s.byteLength);
  const N = preset.polyModulusDegree;
  const level = levels.findIndex((l) => l.parmsId.every((x, i) => x === s[HDR + i]));
  const size = Number(dv.getBigUint64(HDR + 33, true));
  const k = Number(dv.getBigUint64(HDR + 49, true));
  const scale = dv.getFloat64(HDR + 57, true);
  const count = Number(dv.getBigUint64(HDR + MEMBERS + HDR, true));
  // Internal invariant (we only pack what SEAL just wrote): anything else is a bug, not bad input.
  if (level < 0 || size !== 2 || k !== levels[level]!.primes.length) fail('ERR_SHE_SEAL', 'unexpected SEAL ciphertext layout');
  const seeded = count === N * k;
  if (!seeded && count !== 2 * N * k) fail('ERR_SHE_SEAL', 'unexpected SEAL ciphertext size');
  const form = seeded ? 1 : 2;
  const out = new Uint8Array(packedLength(preset, form, level));
  out[0] = form;
  out[1] = level;
  new DataView(out.buffer).setFloat64(2, scale);
  let o = 10;
  const dataAt = HDR + MEMBERS + HDR + 8;
  if (seeded) {
    const seedAt = dataAt + count * 8 + HDR;
    if (s[seedAt] !== PRNG_BLAKE2XB) fail('ERR_SHE_SEAL', 'unexpected SEAL PRNG type');
    out.set(s.subarray(seedAt + 1, seedAt + 1 + SEED_BYTES), o);
    o += SEED_BYTES;
  }
  const primes = levels[level]!.primes;
  // Bit writer on 32-bit integer ops only (doubles above 2^31 made this 20x slower), and no global
  // lookups (Math.min) in the loop: inside jest's vm contexts every global read goes through an
  // interceptor and made this loop 50x slower than under plain Node.
  let cur = 0;
  let n = 0;
  for (let w = 0; w < count; w++) {
    const bits = primes[((w / N) | 0) % k]!.bits;
    for (let part = 0; part < 2; part++) {
      let v = dv.getUint32(dataAt + w * 8 + part * 4, true);
      let kb = part === 0 ? (bits < 32 ? bits : 32) : bits - 32;
      while (kb > 0) {
        const take = 8 - n < kb ? 8 - n : kb;
        cur |= (v & ((1 << take) - 1)) << n;
        v >>>= take;
        kb -= take;
        n += take;
        if (n === 8) {
          out[o++] = cur;
          cur = 0;
          n = 0;
        }
      }
    }
  }
  if (n > 0) out[o] = cur;
  return out;
}

/**
 * @internal Validates a packed ciphertext completely (structure and every coefficient below its prime)
 * and rebuilds the exact SEAL uncompressed serialisation for `CipherText.loadArray`.
 */
export function unpackSeal(preset: HePreset, levels: readonly SealLevel[], b: Uint8Array, what: string): Uint8Array {
  const { form, level, scale } = checkPacked(preset, b, what);
  const N = preset.polyModulusDegree;
  const lv = levels[level]!;
  const k = lv.primes.length;
  const count = (form === 1 ? 1 : 2) * N * k;
  const dynSize = HDR + 8 + count * 8;
  const total = HDR + MEMBERS + dynSize + (form === 1 ? HDR + 1 + SEED_BYTES : 0);
  const s = new Uint8Array(total);
  const dv = new DataView(s.buffer);
  const header = (at: number, size: number): void => {
    dv.setUint16(at, 0xa15e, true);
    s[at + 2] = 0x10;
    s[at + 3] = 4;
    s[at + 4] = 1;
    s[at + 5] = 0; // compr_mode_type::none
    dv.setBigUint64(at + 8, BigInt(size), true);
  };
  header(0, total);
  s.set(lv.parmsId, HDR);
  s[HDR + 32] = preset.scheme === 'ckks' ? 1 : 0;
  dv.setBigUint64(HDR + 33, 2n, true);
  dv.setBigUint64(HDR + 41, BigInt(N), true);
  dv.setBigUint64(HDR + 49, BigInt(k), true);
  dv.setFloat64(HDR + 57, scale, true);
  dv.setBigUint64(HDR + 65, 1n, true);
  const dynAt = HDR + MEMBERS;
  header(dynAt, dynSize);
  dv.setBigUint64(dynAt + HDR, BigInt(count), true);
  let o = 10;
  if (form === 1) {
    const infoAt = dynAt + dynSize;
    header(infoAt, HDR + 1 + SEED_BYTES);
    s[infoAt + HDR] = PRNG_BLAKE2XB;
    s.set(b.subarray(o, o + SEED_BYTES), infoAt + HDR + 1);
    o += SEED_BYTES;
  }
  const dataAt = dynAt + HDR + 8;
  let cur = 0;
  let n = 0;
  for (let w = 0; w < count; w++) {
    const q = lv.primes[((w / N) | 0) % k]!;
    let lo = 0;
    let hi = 0;
    for (let part = 0; part < 2; part++) {
      const kb = part === 0 ? (q.bits < 32 ? q.bits : 32) : q.bits - 32;
      let v = 0;
      let got = 0;
      while (got < kb) {
        if (n === 0) {
          cur = b[o++]!;
          n = 8;
        }
        const take = n < kb - got ? n : kb - got;
        v |= (cur & ((1 << take) - 1)) << got;
        cur >>>= take;
        n -= take;
        got += take;
      }
      if (part === 0) lo = v >>> 0;
      else hi = v >>> 0;
    }
    if (hi > q.hi || (hi === q.hi && lo >= q.lo)) fail('ERR_SHE_FORMAT', `${what}: coefficient out of range`);
    dv.setUint32(dataAt + w * 8, lo, true);
    dv.setUint32(dataAt + w * 8 + 4, hi, true);
  }
  if (n > 0 && cur !== 0) fail('ERR_SHE_FORMAT', `${what}: non-zero padding bits`);
  return s;
}
