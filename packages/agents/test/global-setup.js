// Builds this package's dist/ once per jest run. Why: piscina cannot be tested inside jest's VM realm
// (it recognises its workers' "ready" message with `instanceof Object`, which is false across realms,
// so a replaced worker is never started there); the pool tests therefore run a plain Node process on
// dist/, which must match the sources under test.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function globalSetup() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: new URL('..', import.meta.url), stdio: 'inherit' });
}
