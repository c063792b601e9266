import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** Adds every `nqc` sub-command to `program`. */
export function registerCommands(program: Command, ctx: CliContext): void {
  void program;
  void ctx;
}
