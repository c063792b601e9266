/**
 * Known answers the ONNX v2 backend must reproduce before it may run, computed with the v2 reference
 * backend (`referenceBackendV2`, the specification's implementation; test/vectors/nde-v2-golden.json
 * holds the full vectors).
 *
 * As for v1 (../kat.ts), a kernel can be right at one batch shape and wrong at another, so the v2
 * backend also only calls `session.run` with batches of `_JOB_BATCHES` chunks, and the self-test runs
 * each of those sizes with short chunks (partial last steps), whole steps, plus one chunk of the
 * default chunk size (64 KiB = 128 steps) in one run and in segments (the state output).
 * @internal
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { _JOB_BATCHES, type KatCase } from '../kat.js';

const data = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 131 + seed) & 0xff);

/** Chunk `i` of a case: mixed indices (small, around 2^32, near 2^53), so the start-state derivation is covered too. */
function index(i: number): number {
  if (i % 5 === 3) return 2 ** 32 - 1 + i;
  if (i % 7 === 6) return Number.MAX_SAFE_INTEGER - i;
  return i * 3;
}

/** Steps per segment when the self-test runs the long case in segments: 8 segments of 16 steps. @internal */
export const _KAT_V2_SEGMENT_STEPS = 16;

/** Inputs: key 00..1f, salt "nqc/nde/kat/v2", and the cases of the module comment. @internal */
export function _katInputsV2(): { key: Uint8Array; salt: Uint8Array; cases: KatCase[] } {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const salt = utf8ToBytes('nqc/nde/kat/v2');
  const cases: KatCase[] = [];
  for (const batch of _JOB_BATCHES) {
    // short: lengths 1..1535 (partial last steps, 1-3 steps, zero padding between chunks)
    cases.push({
      name: `${batch}/short`,
      items: Array.from({ length: batch }, (_, i) => ({ index: index(i), data: data(1 + ((i * 389 + 700) % 1535), i + 1) })),
    });
    // full: whole steps only, 1-3 per chunk
    cases.push({
      name: `${batch}/full`,
      items: Array.from({ length: batch }, (_, i) => ({ index: index(i) + 1, data: data(512 * (1 + ((i + batch) % 3)), i + 7) })),
    });
  }
  cases.push({ name: '1/long', items: [{ index: 5, data: data(65536, 9) }] });
  return { key, salt, cases };
}

/**
 * SHA-256 of the concatenated outputs of each case of {@link _katInputsV2}, encrypting and
 * decrypting (print them with `pnpm build && node scripts/kat-v2.mjs`). @internal
 */
export const _KAT_V2: Readonly<Record<string, { encrypt: string; decrypt: string }>> = {
  '64/short': {
    encrypt: '1a7894df88d6d2b977371b10dc4061faf1f769d22da5f8716659f4b0e76939be',
    decrypt: '30b8152a5d833e520636910f0d0f33ab61c6df84b8b402d21b607731ac34974b',
  },
  '64/full': {
    encrypt: 'ecaa6ec6e4951d2d73e753d5a9778257b4289a33153f55d676acc75c5bcee63d',
    decrypt: 'bca089e4462e605f51d4def8148491b3daeb86f73d6db5ce1d75f07d5dcbe1c4',
  },
  '32/short': {
    encrypt: 'a845f2fdd553c6dac16bf5a0444d56a4cc1ef394fd4f8bac13f5f4b5f23ae6cc',
    decrypt: '5e0f5b1f7b2ac4e31193b6ef7ccfd6c69de2b8d3f28aed47085740293c4c6c58',
  },
  '32/full': {
    encrypt: 'fc58ed24a8e8992b55ce3970180cca6a1a3db7d188cee98b1790b8b91e4cc79f',
    decrypt: 'b5996bfe7594d35d3517407cf4e0ce1c27ad0bde88e011622fc359fb4b57034f',
  },
  '16/short': {
    encrypt: '387a47cd5104e6bc66d4f49f8efaf7acc04f0211cf2545bf0140ee7641f4dc86',
    decrypt: '29803f788354f6c9c27b0a40e304fd41c496c3ae32c0ac2fecfb7f6f9acf901c',
  },
  '16/full': {
    encrypt: '5b126fe0ad42eec88bc1f0fefd8164dc9300388dab9f1e75e3a87201af6b8a39',
    decrypt: '1cc47e06ee8be00a244f17ff075738f283e3091331a6f0a27173ed4b6d29f934',
  },
  '8/short': {
    encrypt: '542c31dd5a741e05121c77e25ab1d1df1fc65c24282e36c3644b4dfb7a7be106',
    decrypt: 'ac9e2bf3bef66cf7f7d647448ccd18d3d0459780880447835216f20201d00b8f',
  },
  '8/full': {
    encrypt: '235c66ad7ac19fb8b09c7c8d82d48c82d1228ed24945aa7c49e7c9f5c059bc02',
    decrypt: 'cf68fba4300fdcf3fa1f88f68828866fbaed1d3c180965f079cb4a413282998e',
  },
  '4/short': {
    encrypt: 'c5f262b26c1fad054a2d5bbb8e213d0a55a1a8b4ce925c7107dc8e0704321072',
    decrypt: 'f1e7547688767ce2036922dfc90f8aed35be92456ce4e947dcdcc1d4fdf0a072',
  },
  '4/full': {
    encrypt: 'd87ab4ddc92cd086b4ce57aaa7972a4535d8de5a4a3463daf4ed0b21184177f9',
    decrypt: '8002e74cb69adfe0e81e882c74f7a802dec0c3ca723aaa487042a239298cc5ea',
  },
  '2/short': {
    encrypt: '768f2630e38cb82685c8123c21ed6a0ad75e746269c7ea5b964359da45c5152b',
    decrypt: 'e4348586d7176623f881562f049e88d2c51165787f05141f06267b52fc664701',
  },
  '2/full': {
    encrypt: 'd146fcd3f80fe5368425987768e4645b1d627c1a6198cc91da508f52f812bffe',
    decrypt: 'bb7b6130174d7412de88ac7450be05acd3379296ea5333c7fd101abca61f6ca5',
  },
  '1/short': {
    encrypt: 'a54382abcb654f7c1d406da3f02e48af108b05556a1cd0a9d0f924fd254681df',
    decrypt: '1c88961d028df6197d8db877dc3c0ce30a0d4b53af4dc6a9cb074f6b57a080e7',
  },
  '1/full': {
    encrypt: 'bcca31e6b96a44cf09095228123b39c1f4519c75443acc305dd17ffba6da3bf4',
    decrypt: '31899230cacfd36ed6599b0f9eb83e8dc45989865b1ab25071637e0d8e42f860',
  },
  '1/long': {
    encrypt: '569a893f672233ad9706aadd40a506118f7b8626925c05f41aa4d53ce1aafad2',
    decrypt: '4cb66a0846c3912dbf4d5d18b05bd2b8416ff1fde7486c0bc481d4b84bdaff4f',
  },
};
