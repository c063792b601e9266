import { Transform } from 'node:stream';
import { Progress } from './progress.js';
import type { CliContext } from '../context.js';

/** A pass-through that drives a {@link Progress} bar on stderr. */
export function progressStream(ctx: CliContext, total: number | undefined, label: string): { stream: Transform; finish(): void } {
  const bar = new Progress(ctx.stderr as NodeJS.WriteStream, total, label);
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bar.advance(chunk.length);
      cb(null, chunk);
    },
  });
  return { stream, finish: () => bar.finish() };
}
