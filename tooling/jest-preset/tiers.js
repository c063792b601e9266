// Test tiers. The default suite (`npm test`) is what every change must pass, in a few minutes on two
// cores; `npm run test:exhaustive` (NQC_TEST_TIER=exhaustive) adds the runs that are too slow for
// that and add little over their sampled default form (every bit flipped instead of a sample, large
// sizes, many SEAL depths). A test gated here is reported as skipped in the default run, not hidden.
import { it } from '@jest/globals';

/** The tier this run was asked for: 'default' or 'exhaustive'. */
export const tier = process.env.NQC_TEST_TIER === 'exhaustive' ? 'exhaustive' : 'default';

/** True in the exhaustive tier. */
export const exhaustive = tier === 'exhaustive';

/** `it` in the exhaustive tier, `it.skip` in the default one. */
export const itExhaustive = exhaustive ? it : it.skip;
