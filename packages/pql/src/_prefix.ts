// The key-string prefix rule, shared by the codec (key-string.ts) and the registry, which refuses an
// algorithm whose prefixes would collide with an existing one (kept here to avoid an import cycle).

/** What a key string holds. */
export type KeyKind = 'recipient' | 'identity' | 'verifying-key' | 'signing-key';

/** Key kinds of a KEM (recipient, identity) and of a signature scheme (verifying, signing key). */
export const KEM_KINDS: readonly KeyKind[] = ['recipient', 'identity'];
export const SIGNATURE_KINDS: readonly KeyKind[] = ['verifying-key', 'signing-key'];

/**
 * Algorithm-id prefixes that could make one kind's key-string prefix equal another's:
 * `nqc-<kem>-` = `nqc-secret-<kem>-` (identity) when the id starts with `secret-`, = `nqc-pub-<sig>-`
 * with `pub-`, = `nqc-sign-secret-<sig>-` with `sign-secret-`.
 */
export const FORBIDDEN_ID_PREFIXES: readonly string[] = ['secret-', 'sign-secret-', 'pub-'];

/** The Bech32 human-readable prefix (case as written in key strings), or undefined for an unknown kind. */
export function _prefix(kind: KeyKind, algorithm: string): string | undefined {
  switch (kind) {
    case 'recipient':
      return `nqc-${algorithm}-`;
    case 'identity':
      return `NQC-SECRET-${algorithm.toUpperCase()}-`;
    case 'verifying-key':
      return `nqc-pub-${algorithm}-`;
    case 'signing-key':
      return `NQC-SIGN-SECRET-${algorithm.toUpperCase()}-`;
    default:
      return undefined;
  }
}
