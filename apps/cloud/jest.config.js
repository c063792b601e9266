import { nqcJestConfig } from '@nqc/jest-preset';

export default nqcJestConfig(import.meta.dirname);
