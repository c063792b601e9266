// Shared jest configuration for every nqc package.
//
// Why ESM mode: the @noble packages are ESM-only and our code uses import.meta; running the tests as
// real ES modules (node --experimental-vm-modules, started by bin/nqc-jest.js) tests what ships.
// Import `jest`, `describe`, `expect` ... from '@jest/globals'.
import { fileURLToPath } from 'node:url';

const reporter = fileURLToPath(new URL('./counting-reporter.cjs', import.meta.url));

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
    testTimeout: 30_000,
    ...overrides,
  };
}
