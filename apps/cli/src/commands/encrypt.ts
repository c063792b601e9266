import type { Command } from 'commander';
import { finished, pipeline } from 'node:stream/promises';
import { createEncryptTransform, encryptDataset, encryptRecord, type JsonObject } from '@nqc/core/node';
import { readKeyFile } from '../he/files.js';
import type { CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { progressStream } from '../io/progress-stream.js';
import { readBoundedText } from '../io/read-bounded.js';
import { claimStdin, openInput, openOutput } from '../io/streams.js';
import { loadIdentityFile, parseFd } from '../keys.js';
import { collectRecipients, repeatable } from '../recipients.js';
import { aeadOption, ndeOption, ndeVersionFlag, ndeVersionOption, type NdeFlag, type NdeVersionFlag } from './options.js';
import { PassphraseRecipient } from '@nqc/pql';
import { ENCRYPT_PROMPTS, readPassphrase } from '../io/passphrase.js';
import type { SigningKey } from '@nqc/pql';
import type { AgentSigner } from '@nqc/agents/custody';
import { agentSigningKey, isAgentRef } from '../agent/client.js';

interface EncryptFlags {
  recipient?: string[];
  recipientsFile?: string[];
  identity?: string[];
  sign?: string;
  armor?: boolean;
  output?: string;
  force?: boolean;
  nde: NdeFlag;
  ndeVersion?: NdeVersionFlag;
  aead: 'chacha20-poly1305' | 'aes-256-gcm';
  passphraseFd?: number;
  passphrase?: boolean;
  he?: string;
  field?: string[];
}

/** The signing key of identity file `path` (its first one), or the nqc agent's for `agent:[KEYID|SOCKET]`. */
export async function loadSigner(ctx: CliContext, path: string, passphraseFd: number | undefined): Promise<SigningKey | AgentSigner> {
  if (isAgentRef(path)) return agentSigningKey(ctx, path);
  const { signingKeys } = await loadIdentityFile(ctx, path, passphraseFd);
  const key = signingKeys[0];
  if (key === undefined) throw new CliError('ERR_CLI_KEY_FILE', `no signing key in identity file ${path}`);
  return key;
}

/** The recipients named by `-r`, `-R` and `-i` (the recipients of identity files, e.g. yourself). */
async function recipientsOf(ctx: CliContext, flags: EncryptFlags): Promise<string[]> {
  const own: string[] = [];
  for (const path of flags.identity ?? []) {
    const { identities } = await loadIdentityFile(ctx, path, flags.passphraseFd);
    if (identities.length === 0) throw new CliError('ERR_CLI_KEY_FILE', `no decryption key in identity file ${path}`);
    own.push(...identities.map((identity) => identity.recipient().toString()));
  }
  return collectRecipients(ctx, [...(flags.recipient ?? []), ...own], flags.recipientsFile, '-i IDENTITY');
}

/** `-p`: the passphrase, asked twice on the terminal (shown early, see startEarlyPassphrase) or read from `--passphrase-fd`. */
async function passphraseRecipient(fd: number | undefined): Promise<PassphraseRecipient> {
  return new PassphraseRecipient(await readPassphrase({ fd, prompt: ENCRYPT_PROMPTS[0], confirm: true, purpose: 'encrypt' }));
}

/** `nqc encrypt`: plaintext (file or stdin) to an envelope (file or stdout), streamed. */
export function registerEncrypt(program: Command, ctx: CliContext): void {
  program
    .command('encrypt')
    .description('encrypt a file (or stdin) to one or more recipients')
    .argument('[INPUT]', 'file to encrypt (default: stdin)')
    .option('-r, --recipient <RECIPIENT>', 'encrypt to this recipient (nqc-xwing-1... or nqc-mlkem1024-1...); repeatable', repeatable)
    .option('-R, --recipients-file <FILE>', 'encrypt to the recipients listed in FILE (- for stdin); repeatable', repeatable)
    .option('-i, --identity <FILE>', 'encrypt to the recipients of this identity file (e.g. to yourself, like age -e -i); repeatable', repeatable)
    .option('-s, --sign <IDENTITY>', 'sign with the signing key of identity file IDENTITY, or agent:[KEYID] for the nqc agent\'s')
    .option('-a, --armor', 'write ASCII-armored (PEM-style) output')
    .option('-o, --output <FILE>', 'write to FILE (atomically) instead of stdout')
    .option('-f, --force', 'overwrite an existing output file')
    .option('-p, --passphrase', 'encrypt to a passphrase (scrypt) instead of recipients: asked twice on the terminal (or read from --passphrase-fd); it must be the only recipient')
    .option('--passphrase-fd <N>', 'read the passphrase (-p, or of the -i / -s identity files) from file descriptor N', parseFd)
    .option('--he <KEYFILE>', 'records: INPUT is JSON (an object, or an array for a dataset); also HE-encrypt the numeric fields of this HE key file (see nqc he keygen)')
    .option('--field <PATH>', 'with --he: HE-encrypt only these fields of the key file\'s schema; repeatable', repeatable)
    .addOption(ndeOption())
    .addOption(ndeVersionOption())
    .addOption(aeadOption())
    .action(async (input: string | undefined, flags: EncryptFlags) => {
      const ndeVersion = ndeVersionFlag(flags, usageError);
      if (flags.field !== undefined && flags.he === undefined) throw usageError('--field needs --he KEYFILE (the HE key file from nqc he keygen)');
      if (flags.passphrase && (flags.recipient?.length || flags.recipientsFile?.length || flags.identity?.length)) {
        throw usageError('-p encrypts to a passphrase alone: do not combine it with -r, -R or -i (a passphrase must be the only recipient)');
      }
      const recipients = flags.passphrase ? [await passphraseRecipient(flags.passphraseFd)] : await recipientsOf(ctx, flags);
      const signer = flags.sign !== undefined ? await loadSigner(ctx, flags.sign, flags.passphraseFd) : undefined;
      if (flags.he !== undefined) {
        await encryptRecords(ctx, input, flags, { recipients, signer, ndeVersion });
        return;
      }
      const transform = await createEncryptTransform({ recipients, signer, armor: Boolean(flags.armor), nde: flags.nde, ndeVersion, aead: flags.aead });
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

/** Records mode of `nqc encrypt --he`: a JSON object (one record) or array (a column-packed dataset). */
async function encryptRecords(
  ctx: CliContext,
  input: string | undefined,
  flags: EncryptFlags,
  keys: { recipients: (string | PassphraseRecipient)[]; signer: Awaited<ReturnType<typeof loadSigner>> | undefined; ndeVersion: 1 | 2 | undefined },
): Promise<void> {
  if (input === undefined || input === '-') claimStdin(ctx, 'the input');
  const text = await readBoundedText(input ?? '-', { max: MAX_RECORDS_INPUT, what: 'JSON input', code: 'ERR_CLI_RECORD', stdin: ctx.stdin });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError('ERR_CLI_RECORD', `with --he the input must be JSON: ${(error as Error).message}`);
  }
  const { keys: heKeys, fields: schema } = await readKeyFile(flags.he!);
  try {
    const fields = flags.field === undefined ? schema : flags.field.map((path) => {
      const spec = schema.find((f) => f.path === path);
      if (spec === undefined) throw usageError(`field "${path}" is not in the HE key file's schema (${schema.map((f) => f.path).join(', ')})`);
      return spec;
    });
    const options = { recipients: keys.recipients, signer: keys.signer, he: heKeys, fields, nde: flags.nde, ndeVersion: keys.ndeVersion, aead: flags.aead, armor: Boolean(flags.armor) };
    let envelope: Uint8Array | string;
    if (Array.isArray(json)) envelope = await encryptDataset(json as JsonObject[], options);
    else if (typeof json === 'object' && json !== null) envelope = await encryptRecord(json as JsonObject, options);
    else throw new CliError('ERR_CLI_RECORD', 'with --he the input must be a JSON object (a record) or an array of objects (a dataset)');
    const output = openOutput(ctx, flags.output, { force: flags.force, binary: !flags.armor, hint: 'use -a for armored text, -o FILE, or a pipe' });
    try {
      output.writable.end(typeof envelope === 'string' ? Buffer.from(envelope, 'utf8') : envelope);
      await finished(output.writable);
      output.commit();
    } catch (error) {
      output.abort();
      throw error;
    }
  } finally {
    heKeys.dispose();
  }
}

/** Records are read whole (they are JSON); this bounds them. */
const MAX_RECORDS_INPUT = 256 << 20;
