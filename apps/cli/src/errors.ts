/**
 * Errors of the `nqc` command. Every failure reaches the user as one line on stderr and a non-zero
 * exit code; stack traces only with `--debug`.
 */

/** Exit codes of the `nqc` command. */
export const ExitCode = {
  ok: 0,
  /** Any failure: bad input, wrong key, corrupted file, refused operation. */
  failure: 1,
  /** The command line itself was wrong (unknown flag, missing argument). */
  usage: 2,
  /** Interrupted by a signal (SIGINT / SIGTERM); temporary outputs were removed. */
  interrupted: 130,
} as const;

/** The code of every usage error: the command line itself was wrong. Exits with {@link ExitCode.usage}. */
export const USAGE_ERROR = 'ERR_CLI_USAGE';

/**
 * A failure the CLI reports as one line, with a stable code for `--json` callers. The exit code is
 * 2 for {@link USAGE_ERROR} and 1 for everything else unless given.
 */
export class CliError extends Error {
  /** Stable machine-readable code, e.g. `ERR_CLI_OUTPUT_EXISTS`. */
  readonly code: string;
  /** Process exit code. */
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode: number = code === USAGE_ERROR ? ExitCode.usage : ExitCode.failure) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

interface CodedError {
  code?: unknown;
  message?: unknown;
}

/** A usage error (exit code 2): a wrong or incomplete command line, said in one line. */
export function usageError(message: string): CliError {
  return new CliError(USAGE_ERROR, message, ExitCode.usage);
}

/** Node system error codes that mean "could not read or write a file", with a plain wording. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EEXIST: 'file exists',
};

/**
 * Turns any thrown value into the one line the user sees, and a stable code.
 * Library errors keep their own message (they are written to be shown) and `code`.
 */
export function describeError(error: unknown): { code: string; message: string; exitCode: number } {
  if (error instanceof CliError) return { code: error.code, message: error.message, exitCode: error.exitCode };
  // An identity of the CLI's own (e.g. the passphrase prompt) failed inside core: report the CLI's error.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if ((error as { code?: unknown } | null)?.code === 'ERR_CORE_IDENTITY_FAILED' && cause instanceof CliError) return describeError(cause);
  const e = (typeof error === 'object' && error !== null ? error : {}) as CodedError & { path?: unknown; syscall?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'ERR_INTERNAL';
  if (code in SYSTEM_ERRORS) {
    const where = typeof e.path === 'string' ? `: ${e.path}` : '';
    return { code: `ERR_IO_${code}`, message: `${SYSTEM_ERRORS[code]}${where}`, exitCode: ExitCode.failure };
  }
  if (code === 'ERR_FORMAT_DECRYPT_FAILED') {
    // One message for every key-dependent failure (no oracle): wrong identity, modified or truncated file.
    return { code, message: 'could not decrypt: no identity matched, or the file was modified or truncated', exitCode: ExitCode.failure };
  }
  if (code === 'EPIPE') return { code: 'ERR_IO_EPIPE', message: 'output closed early (broken pipe)', exitCode: ExitCode.failure };
  const message = typeof e.message === 'string' && e.message.length > 0 ? e.message : String(error);
  if (code === 'ERR_INTERNAL') return { code, message: `internal error: ${message} (run with --debug for details)`, exitCode: ExitCode.failure };
  return { code, message, exitCode: ExitCode.failure };
}
