// Moving ciphertexts between SEAL and the packed wire form.
import type { PresetContext } from './params.js';
import { packSeal, unpackSeal } from './_sealct.js';
import { sealCall, type Scope } from './seal.js';
import type { CipherText } from 'node-seal/implementation/cipher-text.js';

/** @internal Anything SEAL can save uncompressed (a CipherText or a seeded Serializable). */
export interface Savable {
  saveArray(compression?: unknown): Uint8Array;
}

/** @internal Saves a SEAL ciphertext (or seeded serializable) in the packed form. */
export function saveCiphertext(pc: PresetContext, obj: Savable): Uint8Array {
  return packSeal(pc.preset, pc.levels, obj.saveArray(pc.seal.ComprModeType.none));
}

/** @internal Validates packed bytes, then loads them into a new scoped SEAL ciphertext. */
export function loadCiphertext(pc: PresetContext, packed: Uint8Array, s: Scope, what = 'ciphertext'): CipherText {
  const raw = unpackSeal(pc.preset, pc.levels, packed, what);
  const c = s.add(pc.seal.CipherText());
  sealCall(`loading a ${what}`, () => c.loadArray(pc.context, raw), 'ERR_SHE_FORMAT');
  return c;
}
