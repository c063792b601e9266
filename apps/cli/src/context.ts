import type { Readable, Writable } from 'node:stream';

/** The process surroundings a command runs in (injected so tests can run commands in-process). */
export interface CliContext {
  stdin: Readable & { isTTY?: boolean; fd?: number };
  stdout: Writable & { isTTY?: boolean };
  stderr: NodeJS.WriteStream | (Writable & { isTTY?: boolean });
  /** Print stack traces for failures. */
  debug: boolean;
  /** Current directory for relative paths. */
  cwd: string;
}

/** Writes one line to stderr. */
export function note(ctx: CliContext, line: string): void {
  ctx.stderr.write(`${line}\n`);
}
