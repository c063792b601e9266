// Prints the self-test digests of src/onnx/kat.ts, computed with the reference backend (the spec).
// Usage: pnpm build && node scripts/kat.mjs   (paste the output into _KAT)
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { referenceBackend } from '../dist/index.js';
import { _katInputs } from '../dist/onnx/kat.js';

const { key, salt, cases } = _katInputs();
for (const { name, items } of cases) {
  const digest = async (mode) => bytesToHex(sha256(Uint8Array.from((await referenceBackend[`${mode}Chunks`](key, salt, items)).flatMap((o) => [...o]))));
  console.log(`  '${name}': {\n    encrypt: '${await digest('encrypt')}',\n    decrypt: '${await digest('decrypt')}',\n  },`);
}
