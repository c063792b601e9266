/**
 * Known answers the WebAssembly backend must reproduce before it may run (computed with the NDE v2
 * reference, which is the specification; test/wasm/kat.test.ts recomputes them).
 *
 * Each case is one kernel job, and together they take every path of the kernel: one chunk alone
 * (`run1`), two chunks side by side (`run2`) then the longer one's rest alone, chunks longer than the
 * 64 KiB data window, partial last steps, and empty chunks inside a job.
 * @internal
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** One self-test job: the chunk lengths and indices of one kernel call. @internal */
export interface WasmKatCase {
  name: string;
  items: { index: number; data: Uint8Array }[];
}

function data(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 167 + seed * 29) & 0xff;
  return out;
}

/** Mixed indices: small, around 2^32, near 2^53, so the IV derivation is covered too. */
const INDEX = [0, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, 7, 2 ** 32 - 1, 1];

/** Chunk lengths of each case (see the module comment). @internal */
export const _WASM_KAT_SHAPES: Readonly<Record<string, readonly number[]>> = {
  'one/1': [1],
  'one/511': [511],
  'one/512': [512],
  'one/513': [513],
  'one/window+1000': [65536 + 1000],
  'pair/1500+3000': [1500, 3000],
  'pair/long': [70000, 65536 + 512],
  'batch/mixed': [0, 1, 512, 513, 1024, 100],
};

/** Inputs: key 00..1f, salt "nqc/nde/v2/wasm-kat", and the cases of {@link _WASM_KAT_SHAPES}. @internal */
export function _wasmKatInputs(): { key: Uint8Array; salt: Uint8Array; cases: WasmKatCase[] } {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const salt = utf8ToBytes('nqc/nde/v2/wasm-kat');
  const cases = Object.entries(_WASM_KAT_SHAPES).map(([name, lens], c) => ({
    name,
    items: lens.map((len, i) => ({ index: INDEX[(c + i) % INDEX.length]!, data: data(len, c * 8 + i + 1) })),
  }));
  return { key, salt, cases };
}

/** SHA-256 (hex) of each case's outputs concatenated, encrypting and decrypting. @internal */
export const _WASM_KAT: Readonly<Record<string, { encrypt: string; decrypt: string }>> = {
  'one/1': {
    encrypt: '30a5bfa58e128af9e5a4955725d8ad26d4d574a537b58b7dc6d357acad578572',
    decrypt: '4b68ab3847feda7d6c62c1fbcbeebfa35eab7351ed5e78f4ddadea5df64b8015',
  },
  'one/511': {
    encrypt: '918695da07285a752df05fdd75c5a5139e0012c912e835576820ae7e495d8f5e',
    decrypt: '0bd662679f2ac5ae4d0ab5e616cacb18925ae385eb26f794b69763b26b561c82',
  },
  'one/512': {
    encrypt: '06acfcc6dae0a90b36649b09301c6c59ab172e23a06158eefa44269100b2d69b',
    decrypt: 'd8acdd845cb7239fcebfa6c8ccdfbe599b83f5c4543df050e86f4dabec26f5d1',
  },
  'one/513': {
    encrypt: 'bac3ec6a137e27e102fa8b4f47b9aa91ce589a664e3576c073d26bb759c1a0f3',
    decrypt: '9bb3e632d93288bb7471d67be5d15c2393630af171b2c217abff1d415cb03278',
  },
  'one/window+1000': {
    encrypt: '995eb4c7c470b4d3383e78897cf9b319a370d3a9a99c25d66144d98f311bd81f',
    decrypt: '1fa8cd2bef8d216bd8cd398086b275dbb9a19bf133f6ccc7426a1768cb5bff40',
  },
  'pair/1500+3000': {
    encrypt: '5f4ffae1d1009aaa11c5a432cff527f4c609bf53f408cd043dda694aea5e1863',
    decrypt: '8a01f332497f703fffd95366abdf061a8f429063311451521a57bedc403fbfe8',
  },
  'pair/long': {
    encrypt: 'c6f65917598f53bca1a1bf7918d5dab99df9d4ef616b919ec02f42d87a6dffbc',
    decrypt: 'e54c106a7fc5a54bf0c7210102c13998423029321169b3871e778b4214558f5f',
  },
  'batch/mixed': {
    encrypt: 'f90e4d772121f50daca2e233b872f283e7dc94e8b6940f106772b78e718df9f1',
    decrypt: 'fd262b858fad2190ebbf98f1054f7369630ff32eb3b9f31991f7f3da55326429',
  },
};
