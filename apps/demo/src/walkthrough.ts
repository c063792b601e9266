/**
 * The whole walkthrough as one function returning its outcome.
 * @module
 */
import { cloudAct, type CloudOutcome } from './cloud-steps.js';
import { closeNde } from './core.js';
import { envelopeAct, type EnvelopeOutcome } from './envelope-steps.js';
import { createIdentities, signAndVerify, strangerGetsNotMine, unwrapWithEach, wrapToBoth, type Log } from './steps.js';
import { generateIdentity } from '@nqc/pql';

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
  /** Act 2: the envelope. */
  envelope: EnvelopeOutcome;
  /** Act 3: the zero-trust cloud. */
  cloud: CloudOutcome;
  /** All of the above. */
  ok: boolean;
};

/**
 * Runs the walkthrough: (1) the post-quantum layer: identities, wrapping a file key to two recipients,
 * unwrapping, "not mine", an ML-DSA-65 signature; (2) a signed envelope; (3) the zero-trust cloud:
 * HE fields summed and averaged by a server that holds no secret.
 * @param log - receives one line at a time (default: discard)
 * @example
 * ```ts
 * const result = await runWalkthrough(console.log);
 * if (!result.ok) process.exitCode = 1;
 * ```
 */
export async function runWalkthrough(log: Log = () => {}): Promise<WalkthroughResult> {
  log('nqc walkthrough');
  log('');
  log('Act 1: the post-quantum layer (@nqc/pql)');
  const { alice, bob } = createIdentities(log);
  const { fileKey, stanzas } = wrapToBoth(log, alice, bob);
  const bothUnwrapped = unwrapWithEach(log, stanzas, fileKey, { Alice: alice, Bob: bob });
  const strangerRefused = strangerGetsNotMine(log, stanzas);
  const { valid, tamperedRejected, signer } = signAndVerify(log);
  try {
    log('');
    log('Act 2: an envelope (@nqc/core: X-Wing recipients, neural layer inside ChaCha20-Poly1305, ML-DSA-65)');
    const envelope = await envelopeAct(log, { alice, bob, carol: generateIdentity(), aliceSigns: signer });
    log('');
    log('Act 3: the zero-trust cloud (@nqc/she: homomorphic fields)');
    const cloud = await cloudAct(log, { alice, aliceSigns: signer });
    const ok =
      bothUnwrapped && strangerRefused && valid && tamperedRejected && Object.values(envelope).every(Boolean) && Object.values(cloud).every(Boolean);
    log('');
    log(ok ? 'All steps behaved as expected.' : 'SOMETHING WENT WRONG: see above.');
    return { bothUnwrapped, strangerRefused, signatureValid: valid, tamperedRejected, envelope, cloud, ok };
  } finally {
    await closeNde();
  }
}
