import type { Command } from 'commander';
import { inspectFile, rotateDataKeyFile, updateRecipientsFile } from '@nqc/core/node';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { AtomicPathOutput } from '../io/atomic-output.js';
import { loadIdentityFile, parseFd } from '../keys.js';
import { collectRecipients, repeatable } from '../recipients.js';
import { loadSigner } from './encrypt.js';
import { ndeOption, type NdeFlag } from './options.js';

interface LifecycleFlags {
  identity?: string[];
  recipient?: string[];
  recipientsFile?: string[];
  output?: string;
  inPlace?: boolean;
  force?: boolean;
  passphraseFd?: number;
  sign?: string;
  unsigned?: boolean;
}

async function identitiesOf(ctx: CliContext, flags: LifecycleFlags) {
  if (!flags.identity?.length) throw new CliError('ERR_CLI_USAGE', 'no identity: give at least one -i IDENTITY_FILE that opens the envelope now');
  const out = [];
  for (const path of flags.identity) out.push(...(await loadIdentityFile(ctx, path, flags.passphraseFd)).identities);
  return out;
}

/** Where the new envelope goes: `-o FILE`, or `--in-place` (atomic replace of the input). */
function destination(input: string, flags: LifecycleFlags): AtomicPathOutput {
  if (flags.inPlace && flags.output !== undefined) throw new CliError('ERR_CLI_USAGE', 'give either -o FILE or --in-place, not both');
  if (flags.inPlace) return new AtomicPathOutput(input, { force: true });
  if (flags.output === undefined) throw new CliError('ERR_CLI_USAGE', 'give -o FILE for the new envelope, or --in-place to replace the input');
  return new AtomicPathOutput(flags.output, { force: flags.force });
}

async function run(out: AtomicPathOutput, work: (tmp: string) => Promise<void>): Promise<void> {
  try {
    await work(out.tempPath);
    out.commit();
  } catch (error) {
    out.abort();
    throw error;
  }
}

/**
 * `nqc rekey` and `nqc rotate`. Named apart on purpose:
 * - rekey re-wraps the SAME data key for a new recipient list: only the header changes (fast), and a
 *   removed recipient who kept the old file or the data key can still read this data;
 * - rotate re-encrypts everything under a NEW data key: old keys open nothing new.
 */
export function registerLifecycle(program: Command, ctx: CliContext): void {
  const common = (cmd: Command) =>
    cmd
      .argument('<INPUT>', 'envelope file')
      .option('-i, --identity <FILE>', 'identity file that opens the envelope now; repeatable', repeatable)
      .option('-r, --recipient <RECIPIENT>', 'recipient of the new envelope (the COMPLETE new list); repeatable', repeatable)
      .option('-R, --recipients-file <FILE>', 'recipients file for the new envelope; repeatable', repeatable)
      .option('-o, --output <FILE>', 'write the new envelope to FILE (atomically)')
      .option('--in-place', 'replace INPUT atomically')
      .option('-f, --force', 'overwrite an existing output file')
      .option('--passphrase-fd <N>', 'read identity passphrases from file descriptor N', parseFd);

  common(
    program
      .command('rekey')
      .description('re-wrap the SAME data key to a new recipient list; payload untouched (fast). Removed recipients who kept the old file or its key can still read this data: use rotate to cut them off'),
  ).action(async (input: string, flags: LifecycleFlags) => {
    const recipients = collectRecipients(flags.recipient, flags.recipientsFile);
    const identities = await identitiesOf(ctx, flags);
    const out = destination(input, flags);
    await run(out, (tmp) => updateRecipientsFile(input, tmp, { identities, recipients }));
  });

  common(
    program
      .command('rotate')
      .description('re-encrypt the payload under a NEW data key for a new recipient list; old keys open nothing new (cost: the whole file)'),
  )
    .option('-s, --sign <IDENTITY>', 'sign the new envelope with this identity file\'s signing key')
    .option('--unsigned', 'drop the signature of a signed envelope instead of re-signing it')
    // rotate keeps the envelope's suite: the neural layer stays on or off as it was.
    .addOption(ndeOption(false))
    .action(async (input: string, flags: LifecycleFlags & { nde: Exclude<NdeFlag, 'off'> }) => {
      const recipients = collectRecipients(flags.recipient, flags.recipientsFile);
      const identities = await identitiesOf(ctx, flags);
      if (flags.sign !== undefined && flags.unsigned) throw new CliError('ERR_CLI_USAGE', 'give either -s IDENTITY or --unsigned, not both');
      const signer = flags.sign !== undefined ? await loadSigner(ctx, flags.sign, flags.passphraseFd) : flags.unsigned ? null : undefined;
      if (signer === undefined && (await inspectFile(input)).signer) {
        throw new CliError('ERR_CLI_USAGE', 'the envelope is signed: give -s IDENTITY to sign the new one, or --unsigned to drop the signature');
      }
      const out = destination(input, flags);
      await run(out, (tmp) => rotateDataKeyFile(input, tmp, { identities, recipients, signer, nde: flags.nde }));
    });
}
