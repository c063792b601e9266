// The README's example runs verbatim (in plain Node on dist/: it starts a piscina pool).
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

describe('README', () => {
  it('good_example: the 10-line example runs and prints "true ok"', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const block = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(block!.trim().split('\n').length).toBeLessThanOrEqual(10);
    // inside the package, so `@nqc/agents` resolves to itself (package self-reference)
    const file = fileURLToPath(new URL(`./.readme-example-${process.pid}.mjs`, import.meta.url));
    await writeFile(file, block!);
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [file], { timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
      });
      expect(out.trim()).toBe('true ok');
    } finally {
      await rm(file, { force: true });
    }
  }, 150_000);
});
