import type { Command } from 'commander';
import { generateIdentity, generateSigningKey, serializeIdentityFile } from '@nqc/pql';
import { note, type CliContext } from '../context.js';
import { writeFileAtomically } from '../io/atomic-output.js';
import { readPassphrase } from '../io/passphrase.js';
import { loadIdentityFile, parseFd } from '../keys.js';

interface KeygenOptions {
  output?: string;
  convert?: string;
  passphrase?: boolean;
  passphraseFd?: number;
  kem: string;
  sig: string;
  force?: boolean;
}

/**
 * `nqc keygen`: a new identity (a KEM decryption key and a signing key) written owner-only; the public
 * recipient and verifying key go to stderr, like age-keygen. `nqc keygen -y FILE` prints the public
 * parts of an existing identity file on stdout.
 */
export function registerKeygen(program: Command, ctx: CliContext): void {
  program
    .command('keygen')
    .description('generate an identity (decryption + signing keys), or print the public keys of one with -y')
    .option('-o, --output <FILE>', 'write the identity to FILE (mode 0600) instead of stdout')
    .option('-y, --convert <FILE>', 'print the recipient and verifying key of identity FILE')
    .option('--passphrase', 'protect the identity file with a passphrase (asked without echo)')
    .option('--passphrase-fd <N>', 'read the passphrase from file descriptor N (for scripts)', parseFd)
    .option('--kem <ALG>', 'recipient type: xwing (ML-KEM-768 + X25519) or mlkem1024', 'xwing')
    .option('--sig <ALG>', 'signature algorithm: mldsa65, mldsa87, slhdsa-sha2-128s, slhdsa-sha2-128f, falcon512', 'mldsa65')
    .option('-f, --force', 'overwrite an existing output file')
    .action(async (options: KeygenOptions) => {
      if (options.convert !== undefined) {
        const { identities, signingKeys } = await loadIdentityFile(ctx, options.convert, options.passphraseFd);
        for (const identity of identities) ctx.stdout.write(`${identity.recipient().toString()}\n`);
        for (const key of signingKeys) ctx.stdout.write(`${key.verifyingKey().toString()}\n`);
        return;
      }
      const identity = generateIdentity(options.kem);
      const signingKey = generateSigningKey(options.sig);
      const passphrase =
        options.passphrase || options.passphraseFd !== undefined
          ? await readPassphrase({ fd: options.passphraseFd, prompt: 'Passphrase for the new identity: ', confirm: true })
          : undefined;
      const text = serializeIdentityFile({ identities: [identity], signingKeys: [signingKey] }, { passphrase });
      if (options.output !== undefined) {
        writeFileAtomically(options.output, text, { force: options.force, mode: 0o600 });
      } else {
        ctx.stdout.write(text);
      }
      note(ctx, `Public key: ${identity.recipient().toString()}`);
      note(ctx, `Verifying key: ${signingKey.verifyingKey().toString()}`);
    });
}
