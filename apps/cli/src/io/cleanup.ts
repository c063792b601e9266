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

/** Runs and forgets every registered undo (safe to call more than once). */
export function runCleanups(): void {
  for (const undo of [...undos]) {
    undos.delete(undo);
    try {
      undo();
    } catch {
      // best effort: the other undos must still run
    }
  }
}
