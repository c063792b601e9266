// The README's example is test/readme-example.ts verbatim, and it runs.
import { readFileSync } from 'node:fs';
import { describe, expect, it, jest } from '@jest/globals';

describe('README example', () => {
  it('is the same text as test/readme-example.ts', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(new URL('./readme-example.ts', import.meta.url), 'utf8'));
  });

  it('runs: an authenticated request over the channel', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import('./readme-example.js');
      expect(log).toHaveBeenCalledTimes(1);
      const [status, body, header] = log.mock.calls[0]!;
      expect([status, body]).toEqual([200, 'hello alice']);
      expect(header).toMatch(/^suite=0x647a-0x0001-0x0003; key-config=0; client=[0-9a-f]{8}$/);
    } finally {
      log.mockRestore();
    }
  });
});
