import type { it as jestIt } from '@jest/globals';
/** The tier this run was asked for: 'default' or 'exhaustive' (NQC_TEST_TIER=exhaustive). */
export declare const tier: 'default' | 'exhaustive';
/** True in the exhaustive tier. */
export declare const exhaustive: boolean;
/** `it` in the exhaustive tier, `it.skip` in the default one. */
export declare const itExhaustive: typeof jestIt;
