export { runCli, VERSION } from './main.js';
export type { CliContext } from './context.js';
export { CliError, ExitCode, describeError } from './errors.js';
