import type { Command } from 'commander';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptTransform } from '@nqc/core/node';
import { note, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { terminalTextGuard } from '../io/binary-guard.js';
import { progressStream } from '../io/progress-stream.js';
import { AtomicFileOutput } from '../io/atomic-output.js';
import { openInput, openOutput, type Output } from '../io/streams.js';
import { loadIdentityFile, parseFd } from '../keys.js';
import { readVerifyingKey, repeatable } from '../recipients.js';
import { ndeOption, type NdeFlag } from './options.js';

interface DecryptFlags {
  identity?: string[];
  verify?: string[];
  output?: string;
  force?: boolean;
  nde: NdeFlag;
  passphraseFd?: number;
}

/**
 * `nqc decrypt`: an envelope (binary or armored, detected) to plaintext. With `-o` the plaintext file
 * appears only after every chunk and the signature verified. On stdout, bytes flow as chunks verify;
 * a failure later in the stream ends with a non-zero exit (STREAM: what was printed is authentic
 * but may be incomplete), as with age.
 */
export function registerDecrypt(program: Command, ctx: CliContext): void {
  program
    .command('decrypt')
    .description('decrypt an envelope (binary or armored) with your identities')
    .argument('[INPUT]', 'envelope to decrypt (default: stdin)')
    .option('-i, --identity <FILE>', 'identity file to decrypt with; repeatable', repeatable)
    .option('--verify <KEY>', 'require a valid signature by this verifying key (nqc-pub-... or a file holding one); repeatable', repeatable)
    .option('-o, --output <FILE>', 'write the plaintext to FILE (atomically) instead of stdout')
    .option('-f, --force', 'overwrite an existing output file')
    .option('--passphrase-fd <N>', 'read identity passphrases from file descriptor N', parseFd)
    .addOption(ndeOption())
    .action(async (input: string | undefined, flags: DecryptFlags) => {
      if (!flags.identity?.length) throw new CliError('ERR_CLI_USAGE', 'no identity: give at least one -i IDENTITY_FILE');
      const identities = [];
      for (const path of flags.identity) identities.push(...(await loadIdentityFile(ctx, path, flags.passphraseFd)).identities);
      if (identities.length === 0) throw new CliError('ERR_CLI_KEY_FILE', 'the identity files hold no decryption key');
      const requireSigner = flags.verify?.map(readVerifyingKey);
      // allowUnverifiedOutput: plaintext goes to an atomic file (-o) or to the spool below, never to the
      // user, until `done` has verified the signature.
      const d = createDecryptTransform({ identities, requireSigner, nde: flags.nde, allowUnverifiedOutput: true });
      const source = openInput(ctx, input);
      // With --verify, the signature is the only proof of origin (anyone can encrypt to you), and it is
      // checked at the end of the stream: so plaintext bound for stdout is spooled to a private
      // temporary file and printed only once the signature verified. A file output (-o) is atomic anyway.
      const spool = requireSigner !== undefined && flags.output === undefined ? new Spool() : undefined;
      const output = spool?.output ?? openOutput(ctx, flags.output, { force: flags.force, binary: false, hint: '' });
      const progress = progressStream(ctx, source.size, 'decrypting');
      const toTerminal = flags.output === undefined && Boolean(ctx.stdout.isTTY);
      const stages: Transform[] = [progress.stream, d.transform];
      if (toTerminal && spool === undefined) stages.push(terminalTextGuard());
      try {
        await pipeline([source.stream, ...stages, output.writable]);
        const { signer } = await d.done;
        if (spool !== undefined) await spool.release(ctx, toTerminal);
        else output.commit();
        if (signer && requireSigner) note(ctx, `nqc: good signature by ${signer.algorithm} key ${signer.keyId ?? '(unknown id)'}`);
      } catch (error) {
        output.abort();
        throw error;
      } finally {
        spool?.remove();
        progress.finish();
      }
    });
}

/** A private temporary file that holds plaintext until its signature verified. */
class Spool {
  readonly #dir = mkdtempSync(join(tmpdir(), 'nqc-spool-'));
  readonly #file = new AtomicFileOutput(join(this.#dir, 'plaintext'), { mode: 0o600 });
  readonly output: Output = {
    writable: new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        try {
          this.#file.write(chunk);
          cb();
        } catch (error) {
          cb(error as Error);
        }
      },
    }),
    commit: () => undefined,
    abort: () => this.remove(),
  };

  /** Copies the verified plaintext to stdout. */
  async release(ctx: CliContext, toTerminal: boolean): Promise<void> {
    const stages: Transform[] = toTerminal ? [terminalTextGuard()] : [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (ctx.stdout.write(chunk)) cb();
        else ctx.stdout.once('drain', () => cb());
      },
    });
    await pipeline([createReadStream(this.#file.tempPath), ...stages, sink]);
  }

  /** Deletes the spool (also done for every pending output on signals). */
  remove(): void {
    this.#file.abort();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
