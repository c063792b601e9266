// A passphrase (scrypt) stanza must be the only stanza of its envelope, as in age: checked on encrypt
// (before any scrypt work) and on decrypt (before any identity is tried), on public data only.
import { PASSPHRASE_STANZA_TYPE, PassphraseRecipient, type Recipient } from '@nqc/pql';
import { fail } from './errors.js';

const MESSAGE = 'a passphrase (scrypt) recipient must be the only recipient of its envelope';

/** @internal Refuses (ERR_CORE_RECIPIENT_MIX) a passphrase recipient next to any other recipient. */
export function checkRecipientMix(recipients: readonly Recipient[]): void {
  if (recipients.length > 1 && recipients.some((r) => r instanceof PassphraseRecipient)) fail('ERR_CORE_RECIPIENT_MIX', MESSAGE);
}

/** @internal Refuses (ERR_CORE_RECIPIENT_MIX) an envelope whose passphrase stanza is not its only stanza. */
export function checkStanzaMix(stanzas: readonly { readonly type: string }[]): void {
  if (stanzas.length > 1 && stanzas.some((s) => s.type === PASSPHRASE_STANZA_TYPE)) fail('ERR_CORE_RECIPIENT_MIX', MESSAGE);
}
