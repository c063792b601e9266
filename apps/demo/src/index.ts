/**
 * `@nqc/demo`: the nqc walkthrough as small reusable steps.
 * @module
 */
export { runWalkthrough, type WalkthroughResult } from './walkthrough.js';
export { envelopeAct, type EnvelopeOutcome } from './envelope-steps.js';
export { cloudAct, type CloudOutcome } from './cloud-steps.js';
export { PATIENTS, REPORT, type Patient } from './data.js';
export {
  abbreviate,
  createIdentities,
  signAndVerify,
  strangerGetsNotMine,
  unwrapWithEach,
  wrapToBoth,
  type Log,
} from './steps.js';
export { check, chromiumPath, cloudDir, serve, startCloud, type CloudServer, type StartOptions } from './serve.js';
