import type { EvaluationBundle, FieldSpec, HeCiphertext, HeKeySet, HeMean } from '@nqc/she';
import { CliError } from '../errors.js';
import { readBounded as readBoundedFile } from '../io/read-bounded.js';

// The HE files of the CLI. The owner's key file is text (JSON), mode 0600: the SEAL key set
// (@nqc/she's own encoding, base64) and the field schema chosen at `nqc he keygen`, so that encrypt
// and decrypt agree on fields, types and ranges. The server's bundle is @nqc/she's binary
// EvaluationBundle encoding: public material only. A result file is JSON with the encrypted result.

const KEY_KIND = 'nqc-he-key/v1';
const RESULT_KIND = 'nqc-he-result/v1';
const MAX_KEY_FILE = 64 << 20;
const MAX_BUNDLE_FILE = 512 << 20;
const MAX_RESULT_FILE = 64 << 20;

/** Lazily loads @nqc/she (and with it SEAL's WASM) only for HE commands. */
export async function she() {
  return import('@nqc/she');
}

/** The CLI's one bounded reader (stops at max + 1 bytes; pipes and devices too). */
function readBounded(path: string, max: number, what: string): Promise<Buffer> {
  return readBoundedFile(path, { max, what, code: 'ERR_CLI_HE_FILE' });
}

function parseJson(bytes: Buffer, path: string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CliError('ERR_CLI_HE_FILE', `${path} is not an nqc ${what}`);
}

/** Text of an owner key file. */
export async function encodeKeyFile(keys: HeKeySet, fields: readonly FieldSpec[]): Promise<string> {
  const body = { kind: KEY_KIND, keyId: keys.keyId, preset: keys.preset.name, fields, keys: Buffer.from(await keys.encode()).toString('base64') };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Reads an owner key file: the key set and its schema fields. */
export async function readKeyFile(path: string): Promise<{ keys: HeKeySet; fields: FieldSpec[] }> {
  const json = parseJson(await readBounded(path, MAX_KEY_FILE, 'HE key file'), path, 'HE key file (made by nqc he keygen)');
  if (json.kind !== KEY_KIND || typeof json.keys !== 'string' || !Array.isArray(json.fields)) {
    throw new CliError('ERR_CLI_HE_FILE', `${path} is not an nqc HE key file (made by nqc he keygen)`);
  }
  const { HeKeySet } = await she();
  const keys = await HeKeySet.decode(new Uint8Array(Buffer.from(json.keys, 'base64')));
  return { keys, fields: json.fields as FieldSpec[] };
}

/** Reads a server's evaluation bundle. */
export async function readBundleFile(path: string): Promise<EvaluationBundle> {
  const { EvaluationBundle } = await she();
  return EvaluationBundle.decode(new Uint8Array(await readBounded(path, MAX_BUNDLE_FILE, 'evaluation bundle')));
}

/** An aggregate as the CLI stores it. */
export type HeResult = { op: 'count'; path: string; value: number } | { op: 'sum'; path: string; sum: HeCiphertext } | { op: 'mean'; path: string; mean: HeMean };

/** Text of a result file. */
export async function encodeResult(result: HeResult): Promise<string> {
  const { encodeCiphertext } = await she();
  const b64 = (ct: HeCiphertext) => Buffer.from(encodeCiphertext(ct)).toString('base64');
  const body =
    result.op === 'count'
      ? { kind: RESULT_KIND, op: 'count', path: result.path, value: result.value }
      : result.op === 'sum'
        ? { kind: RESULT_KIND, op: 'sum', path: result.path, ciphertext: b64(result.sum) }
        : { kind: RESULT_KIND, op: 'mean', path: result.path, count: result.mean.count, ciphertext: b64(result.mean.sum) };
  return `${JSON.stringify(body)}\n`;
}

/** Reads a result file written by `nqc he sum|mean|count`. */
export async function readResult(path: string): Promise<HeResult> {
  const json = parseJson(await readBounded(path, MAX_RESULT_FILE, 'HE result'), path, 'HE result (made by nqc he sum|mean|count)');
  const bad = () => new CliError('ERR_CLI_HE_FILE', `${path} is not an nqc HE result (made by nqc he sum|mean|count)`);
  if (json.kind !== RESULT_KIND || typeof json.path !== 'string') throw bad();
  if (json.op === 'count') {
    if (!Number.isSafeInteger(json.value)) throw bad();
    return { op: 'count', path: json.path, value: json.value as number };
  }
  if (typeof json.ciphertext !== 'string') throw bad();
  const { decodeCiphertext } = await she();
  const ct = decodeCiphertext(new Uint8Array(Buffer.from(json.ciphertext, 'base64')));
  if (json.op === 'sum') return { op: 'sum', path: json.path, sum: ct };
  if (json.op === 'mean' && Number.isSafeInteger(json.count)) return { op: 'mean', path: json.path, mean: { sum: ct, count: json.count as number } };
  throw bad();
}
