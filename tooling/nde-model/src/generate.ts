// Writes the shipped models: `pnpm --filter @nqc/nde-model generate`. Prints their SHA-256 (the model ids).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NDE_MODEL_FILE } from '@nqc/nde';
import { buildShippedModel, buildShippedModelV2, NDE_V2_MODEL_FILE } from './index.js';

for (const [file, bytes] of [
  [NDE_MODEL_FILE, buildShippedModel()],
  [NDE_V2_MODEL_FILE, buildShippedModelV2()],
] as const) {
  const target = fileURLToPath(new URL(`../../../packages/nde/model/${file}`, import.meta.url));
  writeFileSync(target, bytes);
  console.log(`${target}: ${bytes.length} bytes, sha256 ${bytesToHex(sha256(bytes))}`);
}
