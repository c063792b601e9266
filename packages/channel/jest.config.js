import { nqcJestConfig } from '@nqc/jest-preset';

const base = nqcJestConfig(import.meta.dirname);

export default {
  ...base,
  // The README example imports the package by name; map it to the sources like other workspace packages.
  moduleNameMapper: {
    ...base.moduleNameMapper,
    '^@nqc/channel$': '<rootDir>/src/index.ts',
    '^@nqc/channel/node$': '<rootDir>/src/node.ts',
    '^@nqc/channel/fastify$': '<rootDir>/src/fastify.ts',
  },
  // fastify's inject (light-my-request) require()s the ESM-only `cookie` 2; jest 30 on Node 20 cannot,
  // so that one package is compiled to CommonJS for the fastify tests.
  transform: {
    ...base.transform,
    '/cookie/dist/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(?:\\.pnpm/cookie@[^/]+/node_modules/)?cookie/)'],
};
