import type { Command } from 'commander';
import { aggregate, decryptAggregate, extractHeFields } from '@nqc/core/node';
import type { FieldSpec, HeCiphertext, HePresetName } from '@nqc/she';
import { note, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { writeFileAtomically } from '../io/atomic-output.js';
import { parseFieldSpec } from '../he/field-spec.js';
import { encodeKeyFile, encodeResult, readBundleFile, readKeyFile, readResult, she, type HeResult } from '../he/files.js';
import { openHeEnvelope } from '../he/envelopes.js';
import { escapeForTerminal } from '../io/terminal.js';
import { readVerifyingKeys, repeatable } from '../recipients.js';

/** Default preset for a set of fields: CKKS for reals, BFV N=4096 (sums, means) otherwise. */
function presetFor(fields: readonly FieldSpec[]): HePresetName {
  return fields.some((f) => f.type === 'real') ? 'ckks-n8192' : 'bfv-n4096';
}

/**
 * The HE fields of one envelope file: header only, or with `requireSigners` the whole file streamed
 * through the signature check (the fields then come from the verified header).
 */
async function fieldsOf(path: string, field: string, requireSigners: string[] | undefined): Promise<HeCiphertext[]> {
  const file = await openHeEnvelope(path);
  let found: HeCiphertext[];
  try {
    found = await extractHeFields(file.input, field, { requireSigners });
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    if (e.code === 'ERR_CORE_SIGNER_UNTRUSTED') throw new CliError('ERR_CLI_HE_SIGNER', `${path}: refused: ${String(e.message).replace(/^envelope: /, '')}`);
    throw error;
  } finally {
    await file.close();
  }
  if (found.length === 0) throw new CliError('ERR_CLI_HE_FIELD', `${path} has no HE field "${field}"`);
  return found;
}

/**
 * `nqc he ...`: the homomorphic side. The owner runs `he keygen` (secret key file + public bundle) and
 * `he decrypt`; a server runs `he sum|mean|count` with the bundle only: no identity, no secret key.
 */
export function registerHe(program: Command, ctx: CliContext): void {
  const he = program.command('he').description('homomorphic fields: keys, server-side aggregates, results');

  he.command('keygen')
    .description('generate an HE key set: a secret key file for you, a public evaluation bundle for the server')
    .requiredOption('-o, --output <FILE>', 'the secret HE key file (mode 0600; keep it with the data owner)')
    .requiredOption('--bundle <FILE>', 'the evaluation bundle to give the server (public)')
    .requiredOption('--field <SPEC>', 'a field PATH:TYPE:MIN:MAX (TYPE int, fixedN or real), e.g. age:int:0:130; repeatable', repeatable)
    .option('--preset <NAME>', 'parameters: bfv-n4096 (sums, means), bfv-n8192 (also products), ckks-n8192 (reals)')
    .option('-f, --force', 'overwrite existing files')
    .action(async (flags: { output: string; bundle: string; field: string[]; preset?: string; force?: boolean }) => {
      const fields = flags.field.map(parseFieldSpec);
      const { HeKeySet, defineSchema } = await she();
      defineSchema(fields); // validates: one scheme, unique paths
      const preset = (flags.preset ?? presetFor(fields)) as HePresetName;
      const keys = await HeKeySet.generate(preset);
      try {
        const bundle = await keys.evaluationBundle();
        writeFileAtomically(flags.output, await encodeKeyFile(keys, fields), { force: flags.force, mode: 0o600 });
        writeFileAtomically(flags.bundle, await bundle.encode(), { force: flags.force, mode: 0o644 });
        note(ctx, `HE key ${keys.keyId} (${keys.preset.name}) for fields: ${fields.map((f) => f.path).join(', ')}`);
      } finally {
        keys.dispose();
      }
    });

  for (const op of ['sum', 'mean', 'count'] as const) {
    he.command(op)
      .description(`server side: the encrypted ${op} of one field over envelopes, with the evaluation bundle only`)
      .argument('<ENVELOPE...>', 'envelopes with HE fields (records or datasets)')
      .requiredOption('--field <PATH>', 'the field to aggregate')
      .option('--bundle <FILE>', 'the evaluation bundle (required for sum and mean)')
      .option('-o, --output <FILE>', 'write the result file here instead of stdout')
      .option('-f, --force', 'overwrite an existing output file')
      .option(
        '--require-signer <KEY>',
        'only add envelopes with a valid signature by this verifying key (nqc-pub-... or a file holding one); repeatable. Each envelope is then read whole (streamed) to check its signature',
        repeatable,
      )
      .action(async (envelopes: string[], flags: { field: string; bundle?: string; output?: string; force?: boolean; requireSigner?: string[] }) => {
        const requireSigners = await readVerifyingKeys(ctx, flags.requireSigner);
        const cts: HeCiphertext[] = [];
        for (const path of envelopes) cts.push(...(await fieldsOf(path, flags.field, requireSigners)));
        let result: HeResult;
        if (op === 'count') {
          // The number of records is public metadata of each ciphertext: no key, no HE work.
          result = { op, path: flags.field, value: cts.reduce((n, ct) => n + ct.count, 0) };
        } else {
          if (flags.bundle === undefined) throw new CliError('ERR_CLI_USAGE', `he ${op} needs --bundle FILE (the evaluation bundle)`);
          const bundle = await readBundleFile(flags.bundle);
          const value = await aggregate(cts, { op, path: flags.field, evaluator: bundle });
          result = op === 'sum' ? { op, path: flags.field, sum: value as HeCiphertext } : { op, path: flags.field, mean: value as { sum: HeCiphertext; count: number } };
        }
        const text = await encodeResult(result);
        if (flags.output !== undefined) writeFileAtomically(flags.output, text, { force: flags.force, mode: 0o644 });
        else ctx.stdout.write(text);
      });
  }

  he.command('decrypt')
    .description('owner side: decrypt a result of he sum|mean|count with the HE key file')
    .argument('<RESULT>', 'result file')
    .requiredOption('--he <FILE>', 'the secret HE key file')
    .option('--json', 'print {"op","field","value"} as JSON')
    .action(async (resultPath: string, flags: { he: string; json?: boolean }) => {
      const result = await readResult(resultPath);
      const { keys, fields } = await readKeyFile(flags.he);
      let value: number;
      try {
        // The field name is the result file's label, which whoever computed the result wrote: it must
        // at least name a field of this key file, and it is reported as coming from the file.
        if (!fields.some((f) => f.path === result.path)) {
          throw new CliError('ERR_CLI_HE_FIELD', `${resultPath} says it holds field "${result.path}", which is not in the HE key file`);
        }
        if (result.op === 'count') {
          value = result.value;
        } else {
          const { HeClient, defineSchema } = await she();
          const client = await HeClient.create(keys, defineSchema(fields));
          try {
            value = decryptAggregate(result.op === 'sum' ? result.sum : result.mean, client);
          } finally {
            client.dispose();
          }
        }
      } finally {
        keys.dispose();
      }
      if (flags.json) {
        ctx.stdout.write(`${JSON.stringify({ op: result.op, field: result.path, value })}\n`);
        return;
      }
      note(ctx, `nqc: ${result.op} of field "${escapeForTerminal(result.path)}" (label from the result file, not authenticated)`);
      ctx.stdout.write(`${value}\n`);
    });
}
