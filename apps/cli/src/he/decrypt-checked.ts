import { decryptDataset, decryptRecord, inspect, type DecryptOptions, type EnvelopeInfo, type JsonValue, type SignerReport } from '@nqc/core/node';
import type { FieldSpec } from '@nqc/she';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { writeFileAtomically } from '../io/atomic-output.js';
import { readBounded } from '../io/read-bounded.js';
import { escapeForTerminal } from '../io/terminal.js';
import { readKeyFile, she } from './files.js';
import { MAX_WHOLE_ENVELOPE } from './envelopes.js';

// `nqc decrypt --he-key FILE`: the owner's check that a record/dataset envelope's HE fields say what
// its JSON says. The header MAC only proves the SENDER bound those ciphertexts, and a sender can bind
// anything (HE 300, JSON 30, range 0..130), which `he sum` on a server would then add up. With the HE
// key the owner decrypts the HE fields and compares (core's decryptRecord/decryptDataset with `he`):
// a mismatch is exit 1 with nothing written. The envelope is read whole (JSON records are), bounded.

/** What `nqc decrypt --he-key` needs from the decrypt command. */
export interface HeCheckedDecrypt {
  /** Envelope path; `undefined` or `-` for stdin. */
  readonly input: string | undefined;
  /** Output path; `undefined` for stdout. */
  readonly output: string | undefined;
  readonly force?: boolean | undefined;
  /** The HE key file (made by `nqc he keygen`). */
  readonly heKey: string;
  readonly identities: DecryptOptions['identities'];
  readonly requireSigner?: DecryptOptions['requireSigner'];
  readonly nde?: DecryptOptions['nde'];
}

/** The key file's specs for the fields the envelope carries, in the envelope's order. */
function schemaFor(info: EnvelopeInfo, all: readonly FieldSpec[]): { kind: 'record' | 'dataset'; fields: FieldSpec[] } {
  const he = info.he;
  if (!he || he.fields.length === 0) throw new CliError('ERR_CLI_HE_FIELD', '--he-key: the envelope has no HE fields to check');
  const kind = he.fields.some((f) => f.layout === 'record') ? 'record' : 'dataset';
  const paths = kind === 'record' ? (he.fields.find((f) => f.layout === 'record')!.values ?? []) : he.fields.map((f) => f.path);
  const fields = paths.map((p) => {
    const spec = all.find((f) => f.path === p);
    if (spec === undefined) throw new CliError('ERR_CLI_HE_FIELD', `--he-key: the envelope's HE field "${p}" is not in the HE key file`);
    return spec;
  });
  if (fields.length === 0) throw new CliError('ERR_CLI_HE_FIELD', '--he-key: the envelope has no HE fields to check');
  return { kind, fields };
}

/**
 * Decrypts a record or dataset envelope, checks its HE fields against its JSON with the owner's HE
 * key, and only then writes the JSON (to `output`, atomically, mode 0600, or to stdout).
 * @returns the verified signer, if the envelope is signed
 * @throws CliError `ERR_CLI_HE_FIELD` (no HE fields, a field not in the key file); NqcCoreError
 *   `ERR_CORE_HE_FIELD` (the HE fields disagree with the JSON), `ERR_CORE_RECORD`; decrypt's errors
 */
export async function decryptCheckingHe(ctx: CliContext, job: HeCheckedDecrypt): Promise<{ signer: SignerReport | undefined }> {
  const path = job.input ?? '-';
  const bytes = await readBounded(path, { max: MAX_WHOLE_ENVELOPE, what: 'envelope', code: 'ERR_CLI_INPUT', stdin: ctx.stdin });
  const envelope = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const { keys, fields: all } = await readKeyFile(job.heKey);
  let value: JsonValue;
  let signer: SignerReport | undefined;
  try {
    const { kind, fields } = schemaFor(await inspect(envelope), all);
    const { HeClient, defineSchema } = await she();
    const client = await HeClient.create(keys, defineSchema(fields));
    try {
      const opts = { identities: job.identities, requireSigner: job.requireSigner, nde: job.nde, he: client };
      if (kind === 'record') ({ record: value, signer } = await decryptRecord(envelope, opts));
      else ({ records: value, signer } = await decryptDataset(envelope, opts));
    } finally {
      client.dispose();
    }
  } finally {
    keys.dispose();
  }
  // The payload JSON as nqc wrote it (encrypt --he serialises with JSON.stringify, no newline).
  const text = JSON.stringify(value);
  if (job.output !== undefined) writeFileAtomically(job.output, text, { force: job.force, mode: 0o600 });
  else ctx.stdout.write(ctx.stdout.isTTY ? `${escapeForTerminal(text)}\n` : text);
  return { signer };
}
