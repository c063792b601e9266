#!/usr/bin/env node
// Runs jest in ESM mode (node --experimental-vm-modules) with the given arguments.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const jestBin = join(dirname(require.resolve('jest/package.json')), 'bin', 'jest.js');
const args = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', jestBin];
if (process.env.CI) args.push('--ci');
const result = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
