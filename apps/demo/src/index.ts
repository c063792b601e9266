/**
 * `@nqc/demo`: the nqc walkthrough as small reusable steps.
 * @module
 */
export { runWalkthrough, type WalkthroughResult } from './walkthrough.js';
export {
  abbreviate,
  createIdentities,
  signAndVerify,
  strangerGetsNotMine,
  unwrapWithEach,
  wrapToBoth,
  type Log,
} from './steps.js';
