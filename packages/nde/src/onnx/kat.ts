/**
 * Known answers the ONNX backend must reproduce before it may run (computed with the reference
 * backend, which is the specification; test/vectors/golden.json holds the full vectors).
 *
 * A kernel can be right at one batch shape and wrong at another (onnxruntime picks different code
 * paths by size), so the backend only ever calls `session.run` with a batch of {@link _JOB_BATCHES}
 * chunks, and the self-test runs every one of those batch sizes, with short (partial last block) and
 * full blocks, plus one chunk of the default chunk size (512 blocks).
 * @internal
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { NdeChunk } from '../types.js';

/**
 * The only batch sizes (chunks per `session.run`) the ONNX backend uses, largest first: every batch
 * is cut into pieces of these sizes. The self-test covers each of them. @internal
 */
export const _JOB_BATCHES = [64, 32, 16, 8, 4, 2, 1] as const;

/** One self-test job: its chunks (all non-empty, so the job has exactly `items.length` rows). @internal */
export interface KatCase {
  /** `<batch>/<short|full|long>` */
  name: string;
  items: NdeChunk[];
}

const data = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 131 + seed) & 0xff);

/** Chunk `i` of a case: mixed indices (small, around 2^32, near 2^53) so the IV derivation is covered too. */
function index(i: number): number {
  if (i % 5 === 3) return 2 ** 32 - 1 + i;
  if (i % 7 === 6) return Number.MAX_SAFE_INTEGER - i;
  return i * 3;
}

/** Inputs: key 00..1f, salt "nqc/nde/kat", and the cases below (see the module comment). @internal */
export function _katInputs(): { key: Uint8Array; salt: Uint8Array; cases: KatCase[] } {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const salt = utf8ToBytes('nqc/nde/kat');
  const cases: KatCase[] = [];
  for (const batch of _JOB_BATCHES) {
    // short: lengths 1..383 (partial last blocks, 1-3 blocks, zero padding between chunks)
    cases.push({
      name: `${batch}/short`,
      items: Array.from({ length: batch }, (_, i) => ({ index: index(i), data: data(1 + ((i * 97 + 300) % 383), i + 1) })),
    });
    // full: whole blocks only, 1-3 per chunk
    cases.push({
      name: `${batch}/full`,
      items: Array.from({ length: batch }, (_, i) => ({ index: index(i) + 1, data: data(128 * (1 + ((i + batch) % 3)), i + 7) })),
    });
  }
  cases.push({ name: '1/long', items: [{ index: 5, data: data(65536, 9) }] });
  return { key, salt, cases };
}

/**
 * SHA-256 of the concatenated outputs of each case of {@link _katInputs}, encrypting and decrypting
 * (print them with `pnpm build && node scripts/kat.mjs`). @internal
 */
export const _KAT: Readonly<Record<string, { encrypt: string; decrypt: string }>> = {
  '64/short': {
    encrypt: '6313a61514b948fc2c153fbd6231c096c3641b3ca5e43c981bf903dcb907e4da',
    decrypt: '87ac99fbd7b24a338f14e8f87ddd648612dba7eb984f98bb8d218867b74850f9',
  },
  '64/full': {
    encrypt: 'fa9917e049aa8f011392b930a0ef04c02ed749f1ba8dffbe771e22bac1daa831',
    decrypt: 'f2f032ec75be0572b211fc74c8e06de55ebd2f2e3360bc2090537973d2da0e05',
  },
  '32/short': {
    encrypt: '8d0e89de649cb6cd6b5fa493ed0da32b0abee2b805a6a62d5d261f6769837c1e',
    decrypt: '83ed9ec6937743ad98485c1785aee913febd1a433ba166c09c7de5b311cd4c94',
  },
  '32/full': {
    encrypt: 'c8913490a7c962374fb76d58a10ec76efb9431751193a2d06384b0886f737ed1',
    decrypt: 'ab371142574a537fc192ae72ba6302345945eb27c09d83cea140842c6de41247',
  },
  '16/short': {
    encrypt: '87cc9f9a94bd8f343040cc5661982bac2f72099944d25ec22aa568c20584c107',
    decrypt: '45ac2d84e7442e3a4dd30b5dd6b755e87e305e20a63091db27acf961b9d72291',
  },
  '16/full': {
    encrypt: 'dde6c3084757d729d84362f73793b8ecae35fc22dfdd4ce7d2faada315f103fe',
    decrypt: '1e0456d9f8e69218af83e9a74773e9140bf525562d09e24d696a7811d82213fe',
  },
  '8/short': {
    encrypt: '2106243d8231a9da8c54e20332aaeb08b94d419132f7e706c5e5da8e4450f2a2',
    decrypt: '42f09ec0cf4d7cf2444c5f3b38251b6d377692c951eb849a660f9ea82448203d',
  },
  '8/full': {
    encrypt: '0d90fd5def44092379ce0c0f51668a34fb1628c348adcd6eb982e15b2b930d47',
    decrypt: '1869407978ffa9a35f7dd8f7f4074f6c389c2d3202d87ffcced34918350951ad',
  },
  '4/short': {
    encrypt: 'a0f431dbe7fce1d7a9781b2a49e843914217ef0a9724499c46a7d22d2cf026fb',
    decrypt: 'c26dee3e60af3049a95f69bf9a92b089ba0dd44683ea6b0b0e64bf5bfde62990',
  },
  '4/full': {
    encrypt: 'ea48d594aadfe5bdef2e64483baf2b796fa92a4349c9d60d2af15c216a7a8554',
    decrypt: '0d1bcdef33d03e4c281f7f604f676dd8fea78d2d61094ad51a3424c8520d0e7e',
  },
  '2/short': {
    encrypt: 'a33de37d28ee64b3f6d7d78b0b8ae4c4094be2b205ba250630c3e0509eb4aa0c',
    decrypt: 'cb17e2f05fd413dc94daf9c9074c7ec734d4446e4a9b1a279b20d1d635561513',
  },
  '2/full': {
    encrypt: 'b4252fdda7a2bf00b0c4032e96d786ff6688b986c8e6e36e9c0e60408c7cd0f1',
    decrypt: 'b3b72f10ea8bcdbee84b42455a200eb8e36a3df3f419d73308533bd905ad93cd',
  },
  '1/short': {
    encrypt: '7b7a1274aa6808f31785eea7871bca0e8c93ace725feb7eea90c18e05afba04e',
    decrypt: 'fad6495709756a73309a220b78b4c9b1aa4438548bbf2ad3947e472348e97db3',
  },
  '1/full': {
    encrypt: '6b3109343cb1201048e2f5d9e8785968b171156edc6d2777b1bcb331c0907771',
    decrypt: '1ab59621203b7bbfc376729f033d0ea34add97ce7badd987826f0b794034817a',
  },
  '1/long': {
    encrypt: '50b14eb10c0940ff438ed6eacdc5c080e52993de7f4f22c848317c0e543623b8',
    decrypt: 'cf993782e138dbb7bc2f211fb328c40783191d3503ab1fe90640c7249329beed',
  },
};
