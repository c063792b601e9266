import type { Command } from 'commander';
import { inspect, inspectFile, type EnvelopeInfo } from '@nqc/core/node';
import type { CliContext } from '../context.js';
import { escapeForTerminal as e } from '../io/terminal.js';

/** Human-readable byte size. */
function size(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/**
 * The neural line: `on, NDE v2 (model 3f2a...)`, `on, UNKNOWN model 9c1e... (this nqc cannot open
 * it)` or `off`. The model id is hex from the file, escaped all the same.
 */
function neural(nde: EnvelopeInfo['nde']): string {
  if (nde === null) return 'off';
  const model = `${e(nde.modelId.slice(0, 16))}...`;
  return nde.version === null ? `on, UNKNOWN model ${model} (this nqc cannot open it)` : `on, NDE v${nde.version} (model ${model})`;
}

/**
 * The text `nqc inspect` prints for `info`. Every string in `info` comes from the file, unverified:
 * each is escaped (see `escapeForTerminal`) so a file cannot drive the terminal or forge lines.
 */
export function describeEnvelope(info: EnvelopeInfo): string {
  const lines: string[] = [];
  lines.push(`nqc envelope, format v${info.version}${info.armored ? ' (armored)' : ''}`);
  lines.push(`  header:      ${info.headerLength} bytes`);
  const chunks = info.sizes ? `, ${info.sizes.chunks} chunk${info.sizes.chunks === 1 ? '' : 's'}` : '';
  lines.push(`  payload:     ${e(String(info.aead))}, ${size(info.chunkSize)} chunks${chunks}`);
  if (info.sizes) lines.push(`  sizes:       ${info.sizes.plaintext} bytes plaintext in ${info.sizes.envelope} bytes (${size(info.sizes.envelope)})`);
  lines.push(`  neural:      ${neural(info.nde)}`);
  lines.push(`  recipients:  ${info.recipients.length}`);
  for (const r of info.recipients) lines.push(`    - ${e(r.type)}${r.keyIdHint ? ` (key id ${e(r.keyIdHint)})` : ' (anonymous)'}`);
  if (info.signer) {
    lines.push(`  signed by:   ${e(info.signer.algorithm)} key ${info.signer.keyId === undefined ? '(unknown algorithm)' : e(info.signer.keyId)} (not verified: use nqc decrypt --verify)`);
  } else {
    lines.push('  signed by:   nobody');
  }
  if (info.he) {
    lines.push(`  HE fields:   ${info.he.fields.length}`);
    for (const f of info.he.fields) {
      const values = f.values && !(f.values.length === 1 && f.values[0] === f.path) ? ` [${f.values.map(e).join(', ')}]` : '';
      lines.push(`    - ${e(f.path)}${values}: ${e(f.scheme)} ${e(f.layout)}, ${f.count} value${f.count === 1 ? '' : 's'}, ${size(f.bytes)}, key ${e(f.keyId.slice(0, 16))}`);
    }
  }
  lines.push('  (read without a key: nothing here is authenticated until the envelope is decrypted)');
  return `${lines.join('\n')}\n`;
}

/** JSON form of `info` (bytes as hex). */
export function envelopeJson(info: EnvelopeInfo): string {
  return `${JSON.stringify(info, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2)}\n`;
}

/** `nqc inspect`: what an envelope says about itself, without any key. */
export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('describe an envelope without any key (recipients, signer, sizes, HE fields)')
    .argument('[INPUT]', 'envelope (default: stdin)')
    .option('--json', 'machine-readable output')
    .action(async (input: string | undefined, flags: { json?: boolean }) => {
      const info = input === undefined || input === '-' ? await inspect(ctx.stdin) : await inspectFile(input);
      ctx.stdout.write(flags.json ? envelopeJson(info) : describeEnvelope(info));
    });
}
