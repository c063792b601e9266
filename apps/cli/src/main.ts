import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { describeError, ExitCode } from './errors.js';
import { removeAllPendingOutputs } from './io/atomic-output.js';
import { isInterrupted } from './io/cleanup.js';
import { escapeForTerminal } from './io/terminal.js';
import { registerCommands } from './commands/index.js';
import { closeAgentClients } from './agent/client.js';

/** The version printed by `nqc --version`: the package's own (src/ and dist/ both sit one level below it). */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * Runs the `nqc` command line with `argv` (without the node and script names) and returns the exit
 * code. Every failure is reported as one line `nqc: <message>` on stderr (a stack trace too with
 * `--debug`); nothing here calls `process.exit`.
 */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const program = new Command('nqc')
    .description('NeuroQuanticrypt: post-quantum file encryption with signatures and homomorphic fields')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces on failure')
    .showHelpAfterError('(run nqc --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();
  program.hook('preAction', (cmd) => {
    ctx.debug = Boolean(cmd.opts().debug);
  });
  registerCommands(program, ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    removeAllPendingOutputs();
    // A signal is ending the process: the work it cut short fails, and that is not news.
    if (isInterrupted()) return ExitCode.interrupted;
    if (error instanceof CommanderError) {
      // help and version end here too, with exit code 0
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const { message, exitCode } = describeError(error);
    // Messages can quote file content (a stanza type, a field path): never let it drive the terminal.
    ctx.stderr.write(`nqc: ${escapeForTerminal(message)}\n`);
    if (ctx.debug || argv.includes('--debug')) ctx.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    return exitCode;
  } finally {
    closeAgentClients();
  }
}
