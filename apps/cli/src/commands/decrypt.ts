import type { Command } from 'commander';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptTransform, type SignerReport } from '@nqc/core/node';
import { note, type CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { terminalTextGuard } from '../io/binary-guard.js';
import { progressStream } from '../io/progress-stream.js';
import { openInput, openOutput } from '../io/streams.js';
import { verifiedInput } from '../io/verified-input.js';
import { escapeForTerminal } from '../io/terminal.js';
import { loadIdentities, parseFd } from '../keys.js';
import { readVerifyingKeys, repeatable } from '../recipients.js';
import { ndeOption, type NdeFlag } from './options.js';
import { decryptCheckingHe } from '../he/decrypt-checked.js';
import { passphraseIdentity } from '../passphrase-identity.js';

interface DecryptFlags {
  identity?: string[];
  verify?: string[];
  output?: string;
  force?: boolean;
  nde: NdeFlag;
  passphraseFd?: number;
  heKey?: string;
}

/**
 * `nqc decrypt`: an envelope (binary or armored, detected) to plaintext. With `-o` the plaintext file
 * appears only after every chunk and the signature verified. On stdout, bytes flow as chunks verify;
 * a failure later in the stream ends with a non-zero exit (STREAM: what was printed is authentic
 * but may be incomplete), as with age. With `--verify` the signature is checked on the ciphertext
 * BEFORE anything is decrypted, and the bytes decrypted are the ones that verified (one descriptor,
 * or a private spool; see `verifiedInput`): no plaintext exists before it verified.
 */
export function registerDecrypt(program: Command, ctx: CliContext): void {
  program
    .command('decrypt')
    .description('decrypt an envelope (binary or armored) with your identities, or with its passphrase (asked for when the envelope was encrypted with -p)')
    .argument('[INPUT]', 'envelope to decrypt (default: stdin)')
    .option('-i, --identity <FILE>', 'identity file to decrypt with (- for stdin; agent: or agent:SOCKET for the nqc agent); repeatable', repeatable)
    .option('--verify <KEY>', 'first require a valid signature by this verifying key (nqc-pub-... or a file holding one); repeatable', repeatable)
    .option('-o, --output <FILE>', 'write the plaintext to FILE (atomically) instead of stdout')
    .option('-f, --force', 'overwrite an existing output file')
    .option('--passphrase-fd <N>', 'read the passphrase (of a passphrase envelope, or of the identity files) from file descriptor N', parseFd)
    .option('--he-key <FILE>', 'records: also decrypt the HE fields with this HE key file (nqc he keygen) and refuse, writing nothing, if they disagree with the JSON')
    .addOption(ndeOption())
    .action(async (input: string | undefined, flags: DecryptFlags) => {
      // Without -i only a passphrase can open the envelope: asked for when its header has a scrypt stanza.
      if ((input === undefined || input === '-') && [...(flags.identity ?? []), ...(flags.verify ?? [])].includes('-')) {
        throw usageError('stdin cannot hold both the envelope and a key: give the envelope as a file');
      }
      const identities = [];
      for (const path of flags.identity ?? []) identities.push(...(await loadIdentities(ctx, path, flags.passphraseFd)));
      if (flags.identity?.length && identities.length === 0) throw new CliError('ERR_CLI_KEY_FILE', 'the identity files hold no decryption key');
      identities.push(passphraseIdentity({ fd: flags.passphraseFd, withIdentities: Boolean(flags.identity?.length) }));
      const requireSigner = await readVerifyingKeys(ctx, flags.verify);
      if (flags.heKey !== undefined) {
        // Records: read whole (bounded), HE fields checked against the JSON before anything is written.
        const { signer } = await decryptCheckingHe(ctx, { input, output: flags.output, force: flags.force, heKey: flags.heKey, identities, requireSigner, nde: flags.nde });
        if (requireSigner !== undefined && signer !== undefined) note(ctx, `nqc: good signature by ${describeSigner(signer)}`);
        return;
      }
      const verified = requireSigner === undefined ? undefined : await verifiedInput(ctx, input, requireSigner);
      try {
        const source = verified?.input ?? openInput(ctx, input);
        // allowUnverifiedOutput: with --verify the signature has been verified already (above); the
        // decryption checks it again at the end, and plaintext goes out as chunks verify.
        const d = createDecryptTransform({ identities, requireSigner, nde: flags.nde, allowUnverifiedOutput: true });
        const output = openOutput(ctx, flags.output, { force: flags.force, binary: false, hint: '' });
        const progress = progressStream(ctx, source.size, 'decrypting');
        const stages: Transform[] = [progress.stream, d.transform];
        if (flags.output === undefined && ctx.stdout.isTTY) stages.push(terminalTextGuard());
        try {
          await pipeline([source.stream, ...stages, output.writable]);
          await d.done;
          await verified?.finish();
          output.commit();
        } catch (error) {
          output.abort();
          throw error;
        } finally {
          progress.finish();
        }
        if (verified !== undefined) note(ctx, `nqc: good signature by ${describeSigner(verified.signer)}`);
      } finally {
        verified?.dispose();
      }
    });
}

function describeSigner(signer: SignerReport): string {
  return `${escapeForTerminal(signer.algorithm)} key ${signer.keyId ?? '(unknown id)'}`;
}
