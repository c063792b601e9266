/**
 * The whole walkthrough as one function returning its outcome.
 * @module
 */
import { createIdentities, signAndVerify, strangerGetsNotMine, unwrapWithEach, wrapToBoth, type Log } from './steps.js';

/** What the walkthrough showed. */
export type WalkthroughResult = {
  /** Alice and Bob both recovered the file key. */
  bothUnwrapped: boolean;
  /** A third identity got `null` ("not mine"). */
  strangerRefused: boolean;
  /** The ML-DSA-65 signature verified. */
  signatureValid: boolean;
  /** The tampered message did not verify. */
  tamperedRejected: boolean;
  /** All of the above. */
  ok: boolean;
};

/**
 * Runs the post-quantum walkthrough: identities, wrapping a file key to two recipients, unwrapping,
 * "not mine", and an ML-DSA-65 signature.
 * @param log - receives one line at a time (default: discard)
 * @example
 * ```ts
 * const result = runWalkthrough(console.log);
 * if (!result.ok) process.exitCode = 1;
 * ```
 */
export function runWalkthrough(log: Log = () => {}): WalkthroughResult {
  log('nqc walkthrough: the post-quantum layer (@nqc/pql)');
  log('');
  const { alice, bob } = createIdentities(log);
  const { fileKey, stanzas } = wrapToBoth(log, alice, bob);
  const bothUnwrapped = unwrapWithEach(log, stanzas, fileKey, { Alice: alice, Bob: bob });
  const strangerRefused = strangerGetsNotMine(log, stanzas);
  const { valid, tamperedRejected } = signAndVerify(log);
  const ok = bothUnwrapped && strangerRefused && valid && tamperedRejected;
  log('');
  log(ok ? 'All steps behaved as expected.' : 'SOMETHING WENT WRONG: see above.');
  return { bothUnwrapped, strangerRefused, signatureValid: valid, tamperedRejected, ok };
}
