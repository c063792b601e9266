// Every ```ts block of the README is run by a test or says why not (@nqc/jest-preset/readme): the
// "## Example" block runs in test/readme.test.ts; any other block must run here, or be marked
// <!-- doc-test: skip: reason --> (a fragment, or code that needs a running server).
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { readmeExamples, runReadmeExample } from '@nqc/jest-preset/readme';

const readme = new URL('../README.md', import.meta.url);
const lines = (await readFile(readme, 'utf8')).split('\n');
const exampleFence = lines.findIndex((l, i) => l.startsWith('```ts') && lines.slice(0, i).reverse().find((h) => h.startsWith('## ')) === '## Example') + 1;
const others = (await readmeExamples(readme)).filter((e) => e.line !== exampleFence);

describe('README blocks besides the example', () => {
  it('the example block is found (test/readme.test.ts runs it)', () => {
    expect(exampleFence).toBeGreaterThan(0);
  });

  for (const example of others) {
    const run = example.skip === undefined ? it : it.skip;
    run(`the block at line ${example.line} runs as written${example.skip ? ` (not run: ${example.skip})` : ''}`, async () => {
      await runReadmeExample(example, { testUrl: import.meta.url });
    }, 180_000);
  }
});
