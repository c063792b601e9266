/**
 * `nqc-agent`: runs the key-custody agent in the foreground until SIGINT or SIGTERM.
 *
 * ```text
 * nqc-agent --socket <path> [--identity <file>]... [--keyset <file>] [--passphrase-env <VAR>]
 * ```
 * @module
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAgent } from './custody/start.js';

const USAGE = 'usage: nqc-agent [--socket <path>] [--identity <file>]... [--keyset <file>] [--passphrase-env <VAR>]';

/**
 * Runs the agent with command-line arguments; resolves once it is listening.
 * @returns a function that stops it
 */
export async function main(argv: readonly string[]): Promise<() => Promise<void>> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      socket: { type: 'string' },
      identity: { type: 'string', multiple: true },
      keyset: { type: 'string' },
      'passphrase-env': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const runtime = process.env.XDG_RUNTIME_DIR;
  const socketPath = values.socket ?? (runtime ? join(runtime, 'nqc', 'agent.sock') : undefined);
  if (!socketPath) throw new Error('no --socket given and XDG_RUNTIME_DIR is not set');
  let passphrase: string | undefined;
  if (values['passphrase-env'] !== undefined) {
    passphrase = process.env[values['passphrase-env']];
    if (passphrase === undefined) throw new Error(`environment variable ${values['passphrase-env']} is not set`);
  }
  const agent = await startAgent({
    socketPath,
    identityFiles: values.identity ?? [],
    ...(values.keyset !== undefined ? { keysetFile: values.keyset } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
  });
  process.stderr.write(`nqc-agent: listening on ${agent.socketPath}\n`);
  return () => agent.close();
}

if (process.argv[1] !== undefined && import.meta.url.endsWith('/bin.js')) {
  main(process.argv.slice(2)).then(
    (stop) => {
      const quit = (): void => {
        void stop().then(() => process.exit(0));
      };
      process.once('SIGINT', quit);
      process.once('SIGTERM', quit);
    },
    (e: unknown) => {
      process.stderr.write(`nqc-agent: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
      process.exit(1);
    },
  );
}
