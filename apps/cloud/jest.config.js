import { nqcJestConfig } from '@nqc/jest-preset';

const base = nqcJestConfig(import.meta.dirname);

export default {
  ...base,
  // The channel's fastify plugin replays inner requests with fastify's inject (light-my-request),
  // which require()s the ESM-only `cookie` 2; jest 30 on Node 20 cannot, so that one package is
  // compiled to CommonJS for the tests (as in packages/channel; plain Node 20.19+ loads it natively).
  transform: {
    ...base.transform,
    '/cookie/dist/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(?:\\.pnpm/cookie@[^/]+/node_modules/)?cookie/)'],
};
