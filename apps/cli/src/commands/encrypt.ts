import type { Command } from 'commander';
import { pipeline } from 'node:stream/promises';
import { createEncryptTransform } from '@nqc/core/node';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { progressStream } from '../io/progress-stream.js';
import { openInput, openOutput } from '../io/streams.js';
import { loadIdentityFile, parseFd } from '../keys.js';
import { collectRecipients, repeatable } from '../recipients.js';
import { aeadOption, ndeOption, type NdeFlag } from './options.js';

interface EncryptFlags {
  recipient?: string[];
  recipientsFile?: string[];
  sign?: string;
  armor?: boolean;
  output?: string;
  force?: boolean;
  nde: NdeFlag;
  aead: 'chacha20-poly1305' | 'aes-256-gcm';
  passphraseFd?: number;
}

/** The signing key of identity file `path` (its first one). */
export async function loadSigner(ctx: CliContext, path: string, passphraseFd: number | undefined) {
  const { signingKeys } = await loadIdentityFile(ctx, path, passphraseFd);
  const key = signingKeys[0];
  if (key === undefined) throw new CliError('ERR_CLI_KEY_FILE', `no signing key in identity file ${path}`);
  return key;
}

/** `nqc encrypt`: plaintext (file or stdin) to an envelope (file or stdout), streamed. */
export function registerEncrypt(program: Command, ctx: CliContext): void {
  program
    .command('encrypt')
    .description('encrypt a file (or stdin) to one or more recipients')
    .argument('[INPUT]', 'file to encrypt (default: stdin)')
    .option('-r, --recipient <RECIPIENT>', 'encrypt to this recipient (nqc-xwing-1... or nqc-mlkem1024-1...); repeatable', repeatable)
    .option('-R, --recipients-file <FILE>', 'encrypt to the recipients listed in FILE; repeatable', repeatable)
    .option('-s, --sign <IDENTITY>', 'sign with the signing key of identity file IDENTITY')
    .option('-a, --armor', 'write ASCII-armored (PEM-style) output')
    .option('-o, --output <FILE>', 'write to FILE (atomically) instead of stdout')
    .option('-f, --force', 'overwrite an existing output file')
    .option('--passphrase-fd <N>', 'read the signing identity passphrase from file descriptor N', parseFd)
    .addOption(ndeOption())
    .addOption(aeadOption())
    .action(async (input: string | undefined, flags: EncryptFlags) => {
      const recipients = collectRecipients(flags.recipient, flags.recipientsFile);
      const signer = flags.sign !== undefined ? await loadSigner(ctx, flags.sign, flags.passphraseFd) : undefined;
      const transform = await createEncryptTransform({ recipients, signer, armor: Boolean(flags.armor), nde: flags.nde, aead: flags.aead });
      const source = openInput(ctx, input);
      const output = openOutput(ctx, flags.output, {
        force: flags.force,
        binary: !flags.armor,
        hint: 'use -a for armored text, -o FILE, or a pipe',
      });
      const progress = progressStream(ctx, source.size, 'encrypting');
      try {
        await pipeline(source.stream, progress.stream, transform, output.writable);
        output.commit();
      } catch (error) {
        output.abort();
        throw error;
      } finally {
        progress.finish();
      }
    });
}
