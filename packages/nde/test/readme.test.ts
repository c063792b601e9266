// Every ```ts block of the README runs exactly as written (@nqc/jest-preset/readme). The example
// streams a file named `big`: its working directory holds one (200 KB of zeros).
import { describe, expect, it } from '@jest/globals';
import { readmeExamples, runReadmeExample } from '@nqc/jest-preset/readme';

const examples = await readmeExamples(new URL('../README.md', import.meta.url));

describe('README examples', () => {
  it('the README has examples that run', () => {
    expect(examples.filter((e) => e.skip === undefined).length).toBeGreaterThan(0);
  });

  for (const example of examples) {
    const run = example.skip === undefined ? it : it.skip;
    run(`the block at line ${example.line} runs as written${example.skip ? ` (not run: ${example.skip})` : ''}`, async () => {
      await runReadmeExample(example, { testUrl: import.meta.url, files: { big: new Uint8Array(200_000) } });
    }, 300_000);
  }
});
