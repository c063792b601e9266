import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerAgent } from './agent.js';
import { registerDecrypt } from './decrypt.js';
import { registerEncrypt } from './encrypt.js';
import { registerHe } from './he.js';
import { registerInspect } from './inspect.js';
import { registerKeygen } from './keygen.js';
import { registerLifecycle } from './lifecycle.js';

/** Adds every `nqc` sub-command to `program`. */
export function registerCommands(program: Command, ctx: CliContext): void {
  registerKeygen(program, ctx);
  registerEncrypt(program, ctx);
  registerDecrypt(program, ctx);
  registerInspect(program, ctx);
  registerLifecycle(program, ctx);
  registerHe(program, ctx);
  registerAgent(program, ctx);
}
