import { nqcJestConfig } from '@nqc/jest-preset';

export default nqcJestConfig(import.meta.dirname, { globalSetup: '<rootDir>/test/global-setup.js' });
