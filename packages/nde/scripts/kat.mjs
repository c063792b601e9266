// Prints the self-test digests of src/onnx/kat.ts, computed with the reference backend (the spec).
// Usage: pnpm build && node scripts/kat.mjs
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { referenceBackend } from '../dist/index.js';
import { _katInputs } from '../dist/onnx/kat.js';

const { key, salt, items } = _katInputs();
for (const mode of ['encrypt', 'decrypt']) {
  const outs = await referenceBackend[`${mode}Chunks`](key, salt, items);
  console.log(`${mode}: '${bytesToHex(sha256(Uint8Array.from(outs.flatMap((o) => [...o]))))}',`);
}
