// The root rules, plus Node's globals for this package's plain-JavaScript worker bodies and fixtures.
import root from '../../eslint.config.mjs';

const node = Object.fromEntries(
  ['process', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'TextEncoder', 'TextDecoder', 'URL', 'AbortController', 'Buffer', 'performance', 'WebAssembly'].map((g) => [g, 'readonly']),
);

export default [...root, { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: node } }];
