import { describe, expect, it } from '@jest/globals';
import { collect } from '../src/envelope.js';

describe('collect', () => {
  it('joins any number of pieces (no argument spread: 200,000 pieces once overflowed the stack)', async () => {
    const count = 200_000;
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i === count) return c.close();
        c.enqueue(new Uint8Array([i++ & 0xff]));
      },
    });
    const out = await collect(stream);
    expect(out.length).toBe(count);
    expect(out[0]).toBe(0);
    expect(out[count - 1]).toBe((count - 1) & 0xff);
  });

  it('returns an empty array for an empty stream and a single piece as is', async () => {
    expect(await collect(new ReadableStream({ start: (c) => c.close() }))).toEqual(new Uint8Array(0));
    const one = new Uint8Array([1, 2, 3]);
    expect(await collect(new ReadableStream({ start: (c) => (c.enqueue(one), c.close()) }))).toBe(one);
  });
});
