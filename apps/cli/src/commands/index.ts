import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerKeygen } from './keygen.js';

/** Adds every `nqc` sub-command to `program`. */
export function registerCommands(program: Command, ctx: CliContext): void {
  registerKeygen(program, ctx);
}
