// `nqc decrypt` of a passphrase envelope: the identity that asks for the passphrase only when the
// header holds a passphrase (scrypt) stanza. Imported by the decrypt command (it loads @nqc/pql).
import { hasPassphraseStanza, PassphraseIdentity, type Stanza } from '@nqc/pql';
import { usageError } from './errors.js';
import { DECRYPT_PROMPT, readPassphrase } from './io/passphrase.js';

/**
 * An asynchronous identity for `nqc decrypt`, tried after the `-i` identities: when the envelope's
 * stanzas hold a passphrase stanza it reads the passphrase (`--passphrase-fd N`, or the terminal:
 * the early prompt when one is showing) and opens the stanza; otherwise it is "not mine", or, when
 * the user gave no `-i` at all, a usage error. A wrong passphrase is "not mine", so core reports its
 * one generic decryption error. Errors raised here reach the user as they are (see describeError).
 * @param options - `fd`: `--passphrase-fd`; `withIdentities`: whether `-i` identities were given
 */
export function passphraseIdentity(options: { fd: number | undefined; withIdentities: boolean }) {
  return {
    async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
      if (!hasPassphraseStanza(stanzas)) {
        if (options.withIdentities) return null;
        throw usageError('no identity: the envelope is not encrypted to a passphrase; give -i IDENTITY_FILE');
      }
      const passphrase = await readPassphrase({ fd: options.fd, prompt: DECRYPT_PROMPT, purpose: 'decrypt' });
      return new PassphraseIdentity(passphrase).unwrapFileKey(stanzas);
    },
  };
}
