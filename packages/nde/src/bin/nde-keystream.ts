/**
 * nde-keystream: writes raw NDE keystream (v2 by default, v1 with `--version 1`) to stdout, for
 * external test batteries (dieharder, ent, rngtest). The keystream is the encryption of zero bytes:
 * chunk `index`, `index + 1`, ... each of `--chunk-size` bytes (the envelope's chunking),
 * concatenated and cut to `--length` bytes.
 *
 *   nde-keystream --key <64 hex> --salt <hex> [--index N] --length N [--chunk-size N]
 *                 [--version 1|2] [--backend auto|reference|onnx|wasm]
 */
import { parseArgs } from 'node:util';
import { hexToBytes } from '@noble/hashes/utils.js';
import { createNde, createNdeNodeTransform, NDE_DEFAULT_CHUNK_SIZE, NDE_DEFAULT_VERSION, NqcNdeError } from '../node.js';

const USAGE =
  'usage: nde-keystream --key <64 hex chars> --salt <hex> --length <bytes> [--index <first chunk index, default 0>]\n' +
  '                     [--chunk-size <bytes, default 65536>] [--version 1|2, default 2]\n' +
  '                     [--backend auto|reference|onnx|wasm]\n' +
  'Writes the NDE keystream (the encryption of zero bytes) of the given version to stdout.\n';

class UsageError extends Error {}

function integer(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`missing --${name}`);
    return fallback;
  }
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`--${name} expected a non-negative integer, got ${value}`);
  return Number(value);
}

function hex(value: string | undefined, name: string): Uint8Array {
  if (value === undefined) throw new UsageError(`missing --${name}`);
  if (!/^([0-9a-fA-F]{2})*$/.test(value)) throw new UsageError(`--${name} expected hex bytes`);
  return hexToBytes(value.toLowerCase());
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      key: { type: 'string' },
      salt: { type: 'string' },
      index: { type: 'string' },
      length: { type: 'string' },
      'chunk-size': { type: 'string' },
      backend: { type: 'string' },
      version: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const key = hex(values.key, 'key');
  const salt = hex(values.salt ?? '', 'salt');
  const length = integer(values.length, 'length');
  const firstIndex = integer(values.index, 'index', 0);
  const chunkSize = integer(values['chunk-size'], 'chunk-size', NDE_DEFAULT_CHUNK_SIZE);
  const backend = values.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'reference' && backend !== 'onnx' && backend !== 'wasm') {
    throw new UsageError(`--backend expected auto, reference, onnx or wasm, got ${backend}`);
  }
  const version = values.version ?? String(NDE_DEFAULT_VERSION);
  if (version !== '1' && version !== '2') throw new UsageError(`--version expected 1 or 2, got ${version}`);
  const nde = await createNde({ version: version === '1' ? 1 : 2, backend, workers: backend === 'reference' ? undefined : 1 });
  try {
    const transform = createNdeNodeTransform(nde, { key, salt, firstIndex, chunkSize });
    transform.pipe(process.stdout);
    // Feed zeros in bounded pieces, respecting backpressure.
    const piece = new Uint8Array(Math.min(1 << 20, Math.max(1, length)));
    for (let left = length; left > 0; ) {
      const n = Math.min(piece.length, left);
      left -= n;
      if (!transform.write(piece.subarray(0, n))) await new Promise((r) => transform.once('drain', r));
    }
    transform.end();
    await new Promise<void>((resolve, reject) => {
      transform.on('error', reject);
      process.stdout.on('error', reject);
      transform.on('end', resolve);
    });
  } finally {
    await nde.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`nde-keystream: ${err.message}\n${USAGE}`);
    process.exitCode = 2;
  } else if (err instanceof NqcNdeError && err.code === 'ERR_NDE_INVALID_INPUT') {
    process.stderr.write(`nde-keystream: ${err.message}\n${USAGE}`);
    process.exitCode = 2;
  } else if (err instanceof NqcNdeError) {
    process.stderr.write(`nde-keystream: ${err.message} (${err.code})\n`);
    process.exitCode = 1;
  } else if ((err as { code?: string }).code === 'EPIPE') {
    process.exitCode = 0; // reader went away (e.g. `| head -c`)
  } else {
    process.stderr.write(`nde-keystream: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
});
