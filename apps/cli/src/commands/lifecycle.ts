import type { Command } from 'commander';
import { inspectFile, rotateDataKeyFile, updateRecipientsFile, verifySignatureFile, type SignerReport } from '@nqc/core/node';
import { note, type CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { AtomicPathOutput } from '../io/atomic-output.js';
import { escapeForTerminal } from '../io/terminal.js';
import { loadIdentities, parseFd } from '../keys.js';
import { collectRecipients, readVerifyingKeys, repeatable } from '../recipients.js';
import { loadSigner } from './encrypt.js';
import { ndeVersionFlag, ndeVersionOption, rotateNdeOption, type NdeFlag, type NdeVersionFlag } from './options.js';

interface LifecycleFlags {
  identity?: string[];
  recipient?: string[];
  recipientsFile?: string[];
  verify?: string[];
  output?: string;
  inPlace?: boolean;
  force?: boolean;
  passphraseFd?: number;
}

async function identitiesOf(ctx: CliContext, flags: LifecycleFlags) {
  if (!flags.identity?.length) throw usageError('no identity: give at least one -i IDENTITY_FILE that opens the envelope now');
  const out = [];
  for (const path of flags.identity) out.push(...(await loadIdentities(ctx, path, flags.passphraseFd)));
  return out;
}

/** Checks the flags that name the destination (usage errors before any work). */
function checkDestination(flags: LifecycleFlags): void {
  if (flags.inPlace && flags.output !== undefined) throw usageError('give either -o FILE or --in-place, not both');
  if (!flags.inPlace && flags.output === undefined) throw usageError('give -o FILE for the new envelope, or --in-place to replace the input');
}

/** Where the new envelope goes: `-o FILE`, or `--in-place` (atomic replace of the input). */
function destination(input: string, flags: LifecycleFlags): AtomicPathOutput {
  return flags.inPlace ? new AtomicPathOutput(input, { force: true }) : new AtomicPathOutput(flags.output!, { force: flags.force });
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

const signerText = (s: SignerReport) => `${escapeForTerminal(s.algorithm)} key ${s.keyId ?? '(unknown id)'}`;

/**
 * `nqc rekey` and `nqc rotate`. Named apart on purpose:
 * - rekey re-wraps the SAME data key for a new recipient list: only the header changes (fast), and a
 *   removed recipient who kept the old file or the data key can still read this data;
 * - rotate re-encrypts everything under a NEW data key: old keys open nothing new.
 *
 * Neither vouches for content it did not check: a signed envelope is processed only after its
 * signature verified against `--verify KEY` (keys the user names), or when the user says what to do
 * with the unverified signature (`rekey --keep-signature` carries it over untouched, `rotate
 * --drop-signature` removes it). `rotate -s` signs the new envelope only with `--verify`.
 */
export function registerLifecycle(program: Command, ctx: CliContext): void {
  const common = (cmd: Command) =>
    cmd
      .argument('<INPUT>', 'envelope file')
      .option('-i, --identity <FILE>', 'identity file that opens the envelope now (- for stdin; agent: or agent:SOCKET for the nqc agent); repeatable', repeatable)
      .option('-r, --recipient <RECIPIENT>', 'recipient of the new envelope (the COMPLETE new list); repeatable', repeatable)
      .option('-R, --recipients-file <FILE>', 'recipients file for the new envelope (- for stdin); repeatable', repeatable)
      .option('--verify <KEY>', 'require the envelope to be signed now by this verifying key (nqc-pub-... or a file holding one); repeatable', repeatable)
      .option('-o, --output <FILE>', 'write the new envelope to FILE (atomically)')
      .option('--in-place', 'replace INPUT atomically')
      .option('-f, --force', 'overwrite an existing output file')
      .option('--passphrase-fd <N>', 'read identity passphrases from file descriptor N', parseFd);

  common(
    program
      .command('rekey')
      .description('re-wrap the SAME data key to a new recipient list; payload and signature untouched (fast). Removed recipients who kept the old file or its key can still read this data: use rotate to cut them off'),
  )
    .option('--keep-signature', 'carry a signature over without verifying it (it stays the original signer\'s; readers check it with decrypt --verify)')
    .action(async (input: string, flags: LifecycleFlags & { keepSignature?: boolean }) => {
      checkDestination(flags);
      if (flags.keepSignature && flags.verify !== undefined) throw usageError('give either --verify KEY or --keep-signature, not both');
      const requireSigner = await readVerifyingKeys(ctx, flags.verify);
      const recipients = await collectRecipients(ctx, flags.recipient, flags.recipientsFile);
      const identities = await identitiesOf(ctx, flags);
      let signer: SignerReport | undefined;
      if (requireSigner !== undefined) {
        ({ signer } = await verifySignatureFile(input, { requireSigner }));
      } else if ((await inspectFile(input)).signer && !flags.keepSignature) {
        throw usageError('the envelope is signed: give --verify KEY (who must have signed it) to check the signature first, or --keep-signature to pass it on unverified');
      }
      const out = destination(input, flags);
      await run(out, (tmp) => updateRecipientsFile(input, tmp, { identities, recipients }));
      if (signer) note(ctx, `nqc: good signature by ${signerText(signer)} (kept)`);
    });

  common(
    program
      .command('rotate')
      .description('re-encrypt the payload under a NEW data key for a new recipient list; old keys open nothing new (cost: the whole file)'),
  )
    .option('-s, --sign <IDENTITY>', 'sign the new envelope with this identity file\'s signing key, or agent:[KEYID] for the nqc agent\'s (needs --verify: nqc signs only content whose signature it verified)')
    .option('--drop-signature', 'drop the signature of a signed envelope instead of verifying and re-signing it')
    .option('--unsigned', 'same as --drop-signature')
    // rotate keeps the envelope's suite (the neural layer stays on or off as it was) unless --nde off.
    .addOption(rotateNdeOption())
    .addOption(ndeVersionOption())
    .action(async (input: string, flags: LifecycleFlags & { sign?: string; dropSignature?: boolean; unsigned?: boolean; nde: NdeFlag; ndeVersion?: NdeVersionFlag }) => {
      checkDestination(flags);
      const ndeVersion = ndeVersionFlag(flags, usageError);
      const drop = Boolean(flags.dropSignature || flags.unsigned);
      if (flags.sign !== undefined && drop) throw usageError('give either -s IDENTITY or --drop-signature, not both');
      if (flags.sign !== undefined && flags.verify === undefined) {
        throw usageError('-s re-signs the content: give --verify KEY naming who must have signed the envelope now (nqc does not sign content whose signature it has not verified)');
      }
      const requireSigner = await readVerifyingKeys(ctx, flags.verify);
      const recipients = await collectRecipients(ctx, flags.recipient, flags.recipientsFile);
      const identities = await identitiesOf(ctx, flags);
      if (!drop && flags.sign === undefined && (await inspectFile(input)).signer) {
        throw usageError('the envelope is signed: give -s IDENTITY with --verify KEY to check and re-sign it, or --drop-signature to drop the signature');
      }
      const signer = flags.sign !== undefined ? await loadSigner(ctx, flags.sign, flags.passphraseFd) : drop ? null : undefined;
      const out = destination(input, flags);
      // --nde off: the new envelope has no neural layer (the old one is still opened with 'auto').
      // Otherwise the new envelope has it iff the old one had, in construction --nde-version (default 2:
      // a v1 envelope comes out as v2; the old one opens with the version its header names).
      const nde = flags.nde === 'off' ? { nde: 'auto' as const, newNde: 'off' as const } : { nde: flags.nde, newNde: 'keep' as const, ndeVersion };
      await run(out, (tmp) => rotateDataKeyFile(input, tmp, { identities, recipients, signer, requireSigner, ...nde }));
    });
}
