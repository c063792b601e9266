// The `nqc` executable: wires the real process into runCli, cleans temporary outputs on signals.
// Only light modules are imported statically: a passphrase prompt the command line needs is shown
// (echo off) before the command and the crypto layers load (see startEarlyPassphrase).
import { cancelEarlyPassphrase, startEarlyPassphrase } from '../io/passphrase.js';
import { removeAllPendingOutputs } from '../io/atomic-output.js';
import { isInterrupted, markInterrupted } from '../io/cleanup.js';
import { ExitCode } from '../errors.js';

/** How long the neural layer's worker threads get to stop before the process exits anyway. */
const NDE_CLOSE_GRACE_MS = 10000;

// Every signal a user or a supervisor sends to stop a process; temporary files and spools go first.
// Then the ONNX worker threads are closed before exiting: exiting while one is inside session.run
// aborts the process (exit 134, "terminate called after throwing an instance of 'Napi::Error'").
// A repeated signal (a second Ctrl-C, a supervisor's retry) must not cut that short, or it aborts the
// same way: it removes temporary outputs again and waits for the same close (at most the grace period).
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
  process.on(signal, () => {
    removeAllPendingOutputs();
    if (stopping) return; // the first signal's close exits with 130 once the workers stopped
    stopping = true;
    markInterrupted();
    process.stderr.write('\nnqc: interrupted\n');
    const exit = () => process.exit(ExitCode.interrupted);
    setTimeout(exit, NDE_CLOSE_GRACE_MS).unref();
    // Loaded already whenever a command runs (the import is cached); closes only backends it started.
    import('@nqc/core/node').then(({ closeNde }) => closeNde()).then(exit, exit);
  });
}
process.on('exit', removeAllPendingOutputs);
// While the workers close, the interrupted work fails in its own way: stay quiet, exit comes with 130.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    if (isInterrupted()) return; // the signal handler exits once the workers stopped
    removeAllPendingOutputs();
    process.stderr.write(`nqc: internal error: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(ExitCode.failure);
  });
}
// A closed pipe (`nqc decrypt f | head`) is not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.failure);
  throw error;
});

startEarlyPassphrase(process.argv.slice(2));
const { runCli } = await import('../main.js');
const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  debug: false,
  cwd: process.cwd(),
});
cancelEarlyPassphrase();
process.exitCode = isInterrupted() ? ExitCode.interrupted : code;
