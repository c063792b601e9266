// Shared jest configuration for every nqc package.
//
// Why ESM mode: the @noble packages are ESM-only and our code uses import.meta; running the tests as
// real ES modules (node --experimental-vm-modules, started by bin/nqc-jest.js) tests what ships.
// Import `jest`, `describe`, `expect` ... from '@jest/globals'.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const reporter = fileURLToPath(new URL('./counting-reporter.cjs', import.meta.url));

/**
 * Jest workers for one package's run. `NQC_TEST_WORKERS` when set (tooling/scripts/task.mjs sets it
 * when turbo runs several packages at once, so packages x workers stays within the machine's cores);
 * otherwise the cores minus one (jest's own default), at least 1. Never more than the machine has:
 * the suite must hold when the CPU is shared.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {number}
 */
export function testWorkers(env = process.env) {
  const cores = availableParallelism();
  const asked = Number.parseInt(env.NQC_TEST_WORKERS ?? '', 10);
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, cores);
  return Math.max(1, cores - 1);
}

/**
 * Builds the jest config for the package at `rootDir`.
 * @param {string} rootDir absolute path of the package
 * @param {import('jest').Config} [overrides] per-package additions
 * @returns {import('jest').Config}
 */
export function nqcJestConfig(rootDir, overrides = {}) {
  return {
    rootDir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    // TypeScript sources import './x.js' (NodeNext); map to the .ts file jest transforms.
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    // Workspace packages resolve to their TypeScript sources: no build needed to test a change.
    testEnvironmentOptions: { customExportConditions: ['@nqc/source', 'node', 'node-addons'] },
    reporters: ['default', [reporter, { outputDir: `${rootDir}/test-results` }]],
    // A default for light tests; heavy ones set their own, sized to their work with a wide margin
    // (the CI machine is shared: 2x oversubscribed). Never assert on wall-clock speed.
    testTimeout: 60_000,
    maxWorkers: testWorkers(),
    ...overrides,
  };
}
