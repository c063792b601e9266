import { Transform } from 'node:stream';
import { CliError } from '../errors.js';

/** True when `bytes` do not look like text a terminal can show (NUL or other C0 controls, bad UTF-8). */
export function looksBinary(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x1b)) return true;
  try {
    // A multi-byte character may be cut at the end of the sample: `stream: true` accepts that.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return false;
  } catch {
    return true;
  }
}

/**
 * A pass-through for decrypted output bound for a terminal: looks at the first bytes and fails before
 * printing anything when they are binary.
 */
export function terminalTextGuard(): Transform {
  let checked = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!checked) {
        checked = true;
        if (looksBinary(chunk.subarray(0, 1024))) {
          cb(new CliError('ERR_CLI_BINARY_TO_TERMINAL', 'refusing to print binary plaintext to a terminal; use -o FILE or a pipe'));
          return;
        }
      }
      cb(null, chunk);
    },
  });
}
