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
