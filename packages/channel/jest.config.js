import { nqcJestConfig } from '@nqc/jest-preset';

// The README example imports the package by name; map it to the sources like other workspace packages.
export default nqcJestConfig(import.meta.dirname, {
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@nqc/channel$': '<rootDir>/src/index.ts',
    '^@nqc/channel/node$': '<rootDir>/src/node.ts',
  },
});
