#!/usr/bin/env node
// `npm run demo`: the zero-trust cloud server until Ctrl-C; `--walkthrough`: the terminal story
// (exits non-zero if any step misbehaved); `--check`: the browser scenarios, headless, exit 0/1.
import { check, serve } from './serve.js';
import { runWalkthrough } from './walkthrough.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--walkthrough' && a !== '--check');
if (unknown.length > 0 || args.length > 1) {
  console.error('usage: npm run demo [-- --walkthrough | -- --check]');
  process.exit(2);
}
if (args[0] === '--walkthrough') {
  const t0 = performance.now();
  const result = await runWalkthrough((line) => console.log(line));
  console.log(`(${Math.round(performance.now() - t0)} ms)`);
  if (!result.ok) process.exitCode = 1;
} else {
  process.exitCode = await (args[0] === '--check' ? check() : serve());
}
