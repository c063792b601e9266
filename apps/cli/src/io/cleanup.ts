/**
 * Everything the process must undo before it ends: temporary outputs, spools. Each owner registers
 * a synchronous undo and unregisters it once done; the signal handlers (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT), the `exit` handler and every failing command run what is left.
 */
const undos = new Set<() => void>();

/**
 * Registers `undo` (synchronous, must not throw) to run if the process ends before `release()`.
 * @returns `release`: unregisters without running it
 */
export function onCleanup(undo: () => void): () => void {
  undos.add(undo);
  return () => {
    undos.delete(undo);
  };
}

/**
 * Runs every registered undo. They stay registered until their owner releases them, so a file
 * created by work still winding down after a signal is removed by the next run (at exit).
 */
export function runCleanups(): void {
  for (const undo of [...undos]) {
    try {
      undo();
    } catch {
      // best effort: the other undos must still run
    }
  }
}

let interrupted = false;

/** Records that a signal is ending the process: later failures of the interrupted work stay silent. */
export function markInterrupted(): void {
  interrupted = true;
}

/** True once a signal is ending the process. */
export function isInterrupted(): boolean {
  return interrupted;
}
