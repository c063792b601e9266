// Writes the shipped model: `pnpm --filter @nqc/nde-model generate`. Prints its SHA-256 (NDE_MODEL_ID).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NDE_MODEL_FILE } from '@nqc/nde';
import { buildShippedModel } from './index.js';

const bytes = buildShippedModel();
const target = fileURLToPath(new URL(`../../../packages/nde/model/${NDE_MODEL_FILE}`, import.meta.url));
writeFileSync(target, bytes);
console.log(`${target}: ${bytes.length} bytes, sha256 ${bytesToHex(sha256(bytes))}`);
