/**
 * The stanza model (age's): a recipient wraps the file key into stanzas, an identity unwraps them.
 * @module
 */
import { NqcPqlError } from './errors.js';

/**
 * One recipient stanza: a type naming the recipient algorithm, a few short string arguments and an
 * opaque body. The envelope container serialises stanzas of exactly this plain-object shape.
 */
export type Stanza = {
  /** Recipient type, e.g. `xwing` or `mlkem1024` (the registered KEM id). */
  type: string;
  /** Short printable-ASCII arguments (for nqc KEM stanzas: none, or one key-id hint). */
  args: string[];
  /** Opaque body (for nqc KEM stanzas: KEM ciphertext || sealed file key). */
  body: Uint8Array;
};

/**
 * Something that can wrap a file key so that one party can unwrap it.
 *
 * `postQuantum` must be `true` for {@link wrapToRecipients} to accept the recipient: nqc refuses to
 * mix post-quantum and classical-only recipients in one envelope (a classical stanza would let a
 * future quantum attacker open the file whatever the other stanzas say).
 */
export interface Recipient {
  /** Wraps a 32-byte file key into one or more stanzas. */
  wrapFileKey(fileKey: Uint8Array): Stanza[];
  /** True when every stanza this recipient writes resists a quantum attacker. */
  readonly postQuantum?: boolean;
}

/**
 * Something that can unwrap a file key from the stanzas of an envelope.
 *
 * Contract (typage's): return `null` when no stanza is for this identity ("not mine"); never throw
 * for that. Throw an {@link NqcPqlError} only when a stanza of one of this identity's own types is
 * malformed in a way that proves corruption (wrong body length, wrong arguments).
 */
export interface Identity {
  /** Returns the 32-byte file key, or `null` when no stanza is for this identity. */
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null;
}

/** Stanza type of a passphrase recipient (`PassphraseRecipient`). Reserved: no KEM may register this id. */
export const PASSPHRASE_STANZA_TYPE = 'scrypt';

/** Length of an nqc file key in bytes. */
export const FILE_KEY_LENGTH = 32;

const VCHAR = /^[\x21-\x7e]+$/;

/**
 * Checks that `stanzas` is an array of well-shaped stanzas (non-empty printable-ASCII type and
 * args, a Uint8Array body). Throws ERR_PQL_INVALID_INPUT otherwise.
 */
export function _checkStanzas(stanzas: unknown): Stanza[] {
  if (!Array.isArray(stanzas)) {
    throw new NqcPqlError('ERR_PQL_INVALID_INPUT', '"stanzas" expected an array of stanzas');
  }
  stanzas.forEach((s: unknown, i) => {
    const st = s as Partial<Stanza> | null;
    if (typeof st !== 'object' || st === null) {
      throw new NqcPqlError('ERR_PQL_INVALID_INPUT', `stanza ${i}: expected an object`);
    }
    if (typeof st.type !== 'string' || !VCHAR.test(st.type)) {
      throw new NqcPqlError('ERR_PQL_INVALID_INPUT', `stanza ${i}: "type" must be a non-empty printable ASCII string`);
    }
    if (!Array.isArray(st.args) || !st.args.every((a) => typeof a === 'string' && VCHAR.test(a))) {
      throw new NqcPqlError('ERR_PQL_INVALID_INPUT', `stanza ${i}: "args" must be non-empty printable ASCII strings`);
    }
    if (!(st.body instanceof Uint8Array)) {
      throw new NqcPqlError('ERR_PQL_INVALID_INPUT', `stanza ${i}: "body" expected Uint8Array`);
    }
  });
  return stanzas as Stanza[];
}

/**
 * Wraps one file key to every recipient and returns all their stanzas, in order.
 *
 * Refuses (ERR_PQL_RECIPIENTS) an empty list, any recipient whose `postQuantum` is not `true` (nqc
 * never mixes post-quantum and classical-only recipients in one envelope), and a passphrase (`scrypt`)
 * stanza next to any other stanza (it must be alone, as in age).
 * @param fileKey - the envelope's 32-byte file key
 * @param recipients - at least one post-quantum recipient
 * @returns the stanzas, to be stored in the envelope header
 * @throws {NqcPqlError} ERR_PQL_INVALID_INPUT (file key), ERR_PQL_RECIPIENTS
 * @example
 * ```ts
 * const fileKey = crypto.getRandomValues(new Uint8Array(32));
 * const stanzas = wrapToRecipients(fileKey, [alice.recipient(), parseRecipient(bobString)]);
 * ```
 */
export function wrapToRecipients(fileKey: Uint8Array, recipients: readonly Recipient[]): Stanza[] {
  if (!(fileKey instanceof Uint8Array) || fileKey.length !== FILE_KEY_LENGTH) {
    throw new NqcPqlError(
      'ERR_PQL_INVALID_INPUT',
      `"fileKey" expected Uint8Array of length ${FILE_KEY_LENGTH}, got ${fileKey instanceof Uint8Array ? `length=${fileKey.length}` : typeof fileKey}`,
    );
  }
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw new NqcPqlError('ERR_PQL_RECIPIENTS', 'at least one recipient is required');
  }
  recipients.forEach((r, i) => {
    if (typeof r?.wrapFileKey !== 'function') {
      throw new NqcPqlError('ERR_PQL_RECIPIENTS', `recipient ${i} has no wrapFileKey method`);
    }
    if (r.postQuantum !== true) {
      throw new NqcPqlError(
        'ERR_PQL_RECIPIENTS',
        `recipient ${i} is not post-quantum: refusing to mix post-quantum and classical-only recipients`,
      );
    }
  });
  // Check what third-party recipients return, so a bad stanza fails here rather than in the container.
  const stanzas = _checkStanzas(recipients.flatMap((r) => r.wrapFileKey(fileKey)));
  if (stanzas.length > 1 && stanzas.some((s) => s.type === PASSPHRASE_STANZA_TYPE)) {
    throw new NqcPqlError('ERR_PQL_RECIPIENTS', 'a passphrase (scrypt) recipient must be the only recipient of its envelope');
  }
  return stanzas;
}
