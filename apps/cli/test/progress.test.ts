import { describe, expect, it, jest } from '@jest/globals';
import { Progress } from '../src/io/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream, writes };
}

describe('Progress', () => {
  it('draws a bar on a terminal for a large input, throttled, and clears it', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { stream, writes } = fakeStream(true);
    const p = new Progress(stream, 100 << 20, 'encrypting');
    p.advance(50 << 20);
    p.advance(1);
    expect(writes).toEqual([expect.stringMatching(/^\rencrypting \[#{15}\.{15}\] 50% 50\/100 MiB$/)]);
    jest.setSystemTime(1_000_200);
    p.advance(50 << 20);
    expect(writes[1]).toContain('100%');
    p.finish();
    expect(writes[2]).toBe('\r\x1b[K');
    jest.useRealTimers();
  });

  it('shows the rate and the time left once it can measure them', () => {
    jest.useFakeTimers({ now: 2_000_000 });
    const { stream, writes } = fakeStream(true);
    const p = new Progress(stream, 100 << 20, 'decrypting');
    jest.setSystemTime(2_002_000);
    p.advance(20 << 20); // 10 MiB/s, 80 MiB to go
    expect(writes).toEqual(['\rdecrypting [######........................] 20% 20/100 MiB, 10.0 MiB/s, ETA 0:08\x1b[K']);
    jest.setSystemTime(2_010_000);
    p.advance(0);
    expect(writes[1]).toContain(', 2.0 MiB/s, ETA 0:40');
    jest.useRealTimers();
  });

  it('is silent when piped, for small inputs, and for unknown sizes', () => {
    for (const [tty, total] of [[false, 1 << 30], [true, 1024], [true, undefined]] as const) {
      const { stream, writes } = fakeStream(tty);
      const p = new Progress(stream, total, 'x');
      p.advance(1 << 30);
      p.finish();
      expect(writes).toEqual([]);
    }
  });
});
