// Prints the v2 self-test digests of src/onnx/v2/kat.ts, computed with the v2 reference backend (the
// specification's implementation). Usage: pnpm build && node scripts/kat-v2.mjs   (paste into _KAT_V2)
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { referenceBackendV2 } from '../dist/index.js';
import { _katInputsV2 } from '../dist/onnx/v2/kat.js';

const { key, salt, cases } = _katInputsV2();
for (const { name, items } of cases) {
  const digest = async (mode) => {
    const outs = await referenceBackendV2[`${mode}Chunks`](key, salt, items);
    const all = new Uint8Array(outs.reduce((n, o) => n + o.length, 0));
    outs.reduce((off, o) => (all.set(o, off), off + o.length), 0);
    return bytesToHex(sha256(all));
  };
  console.log(`  '${name}': {\n    encrypt: '${await digest('encrypt')}',\n    decrypt: '${await digest('decrypt')}',\n  },`);
}
