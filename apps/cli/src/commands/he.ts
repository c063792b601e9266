import type { Command } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { aggregate, decryptAggregate, extractHeFields } from '@nqc/core/node';
import type { FieldSpec, HeCiphertext, HePresetName } from '@nqc/she';
import { note, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { writeFileAtomically } from '../io/atomic-output.js';
import { parseFieldSpec } from '../he/field-spec.js';
import { encodeKeyFile, encodeResult, readBundleFile, readKeyFile, readResult, she, type HeResult } from '../he/files.js';
import { repeatable } from '../recipients.js';

const MAX_ENVELOPE_FOR_HE = 256 << 20;

/** Default preset for a set of fields: CKKS for reals, BFV N=4096 (sums, means) otherwise. */
function presetFor(fields: readonly FieldSpec[]): HePresetName {
  return fields.some((f) => f.type === 'real') ? 'ckks-n8192' : 'bfv-n4096';
}

/** The HE fields of one envelope file (header only matters; read whole, bounded). */
async function fieldsOf(path: string, field: string): Promise<HeCiphertext[]> {
  let bytes: Buffer;
  try {
    if (statSync(path).size > MAX_ENVELOPE_FOR_HE) throw new CliError('ERR_CLI_HE_FILE', `envelope too large for HE aggregation: ${path}`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('ERR_CLI_HE_FILE', `cannot read envelope ${path}: ${(error as Error).message.replace(/^E[A-Z]+: /, '')}`);
  }
  const found = await extractHeFields(new Uint8Array(bytes), field); // binary or armor: detected by the one rule
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
      .action(async (envelopes: string[], flags: { field: string; bundle?: string; output?: string; force?: boolean }) => {
        const cts: HeCiphertext[] = [];
        for (const path of envelopes) cts.push(...(await fieldsOf(path, flags.field)));
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
      let value: number;
      if (result.op === 'count') {
        value = result.value;
      } else {
        const { keys, fields } = await readKeyFile(flags.he);
        const { HeClient, defineSchema } = await she();
        const client = await HeClient.create(keys, defineSchema(fields));
        try {
          value = decryptAggregate(result.op === 'sum' ? result.sum : result.mean, client);
        } finally {
          client.dispose();
          keys.dispose();
        }
      }
      ctx.stdout.write(flags.json ? `${JSON.stringify({ op: result.op, field: result.path, value })}\n` : `${value}\n`);
    });
}
