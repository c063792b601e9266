#!/usr/bin/env node
// `npm run demo` / `pnpm demo`: prints the walkthrough; exits non-zero if any step misbehaved.
import { runWalkthrough } from './walkthrough.js';

const t0 = performance.now();
const result = await runWalkthrough((line) => console.log(line));
console.log(`(${Math.round(performance.now() - t0)} ms)`);
if (!result.ok) process.exitCode = 1;
