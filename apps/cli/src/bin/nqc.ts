// The `nqc` executable: wires the real process into runCli, cleans temporary outputs on signals.
import { runCli } from '../main.js';
import { removeAllPendingOutputs } from '../io/atomic-output.js';
import { ExitCode } from '../errors.js';

// Every signal a user or a supervisor sends to stop a process; temporary files and spools go first.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
  process.on(signal, () => {
    removeAllPendingOutputs();
    process.stderr.write('\nnqc: interrupted\n');
    process.exit(ExitCode.interrupted);
  });
}
process.on('exit', removeAllPendingOutputs);
// A closed pipe (`nqc decrypt f | head`) is not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.failure);
  throw error;
});

const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  debug: false,
  cwd: process.cwd(),
});
process.exitCode = code;
