// Runs a fixture script under plain Node (not jest's VM realm: see test/global-setup.js) on the
// freshly built dist/, and parses the JSON it prints.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from another process, checked by the assertions
export type Scenarios = Record<string, any>;

/** Runs `test/fixtures/<script>` with plain Node and returns its JSON output. */
export function runScenarios(script: string, timeoutMs = 240_000): Promise<Scenarios> {
  const path = fileURLToPath(new URL(`./fixtures/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Scenarios);
    });
  });
}
