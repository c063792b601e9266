import { CliError } from '../errors.js';

/** What the CLI needs to know about where its output goes. */
export interface OutputTarget {
  /** True when the bytes would land on an interactive terminal. */
  isTTY: boolean;
}

/**
 * Refuses to print binary data to a terminal (it garbles the terminal and is never what the user
 * meant), like age. Armored or text output is fine.
 * @throws CliError `ERR_CLI_BINARY_TO_TERMINAL`
 */
export function refuseBinaryToTerminal(target: OutputTarget, binary: boolean, hint: string): void {
  if (binary && target.isTTY) {
    throw new CliError('ERR_CLI_BINARY_TO_TERMINAL', `refusing to write binary output to a terminal; ${hint}`);
  }
}

/**
 * Characters a terminal may act on instead of showing: C0 controls (newline, carriage return, ESC,
 * BEL, ...), DEL, C1 controls (0x80-0x9f, e.g. CSI and OSC), the Unicode bidirectional controls
 * (embeddings, overrides, isolates, marks) that reorder what is shown, and the line and paragraph
 * separators. The backslash is in the set so that an escaped string reads back unambiguously.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/g;

/**
 * Makes a string that came from a file (or any other untrusted place) safe to print to a terminal:
 * every control character is shown as an escape (`\x1b`, `\n`, `\u202e`), a backslash as `\\`, and
 * everything else is kept. A file cannot then set the terminal title, move the cursor, forge a
 * second output line ("good signature") or reorder text. Use it for every string from a file that
 * reaches the terminal in human-readable output (`--json` output is escaped by JSON itself).
 * @example
 * ```ts
 * note(ctx, `field ${escapeForTerminal(path)}`); // "a\x1b]0;owned\x07" prints as a\x1b]0;owned\x07
 * ```
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
