// Runs the BUILT `nqc` command as a user would: a child process in a temporary directory.
// turbo builds the CLI and its dependencies before `test`; by hand, run `pnpm build` first.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NQC_BIN = join(cliRoot, 'bin', 'nqc.js');

if (!existsSync(join(cliRoot, 'dist', 'bin', 'nqc.js'))) {
  throw new Error('apps/cli is not built: run `pnpm build` (turbo does it before `pnpm test`)');
}

/** The outcome of one command. */
export interface NqcResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs `nqc ...args` in `cwd`. `input` feeds stdin; `passphrase` is offered on file descriptor 3
 * (use `--passphrase-fd 3`).
 */
export function nqc(cwd: string, args: string[], options: { input?: Uint8Array | string; passphrase?: string; env?: Record<string, string> } = {}): NqcResult {
  let fd: number | undefined;
  if (options.passphrase !== undefined) {
    const file = join(mkdtempSync(join(tmpdir(), 'nqc-pass-')), 'passphrase');
    writeFileSync(file, `${options.passphrase}\n`, { mode: 0o600 });
    fd = openSync(file, 'r');
  }
  try {
    const r = spawnSync(process.execPath, [NQC_BIN, ...args], {
      cwd,
      input: options.input,
      stdio: fd === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', fd],
      env: { ...process.env, NODE_OPTIONS: '', ...options.env },
      timeout: 120_000,
      maxBuffer: 1 << 30,
    });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A fresh temporary directory. */
export function workdir(): string {
  return mkdtempSync(join(tmpdir(), 'nqc-e2e-'));
}

/**
 * Runs a shell command line in `cwd` with `$NQC` set to the command (e.g. `head -c 200M /dev/zero |
 * $NQC decrypt -i - x.nqc`), for pipes, process substitution and devices.
 */
export function nqcShell(cwd: string, script: string): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('bash', ['-c', script], {
    cwd,
    env: { ...process.env, NODE_OPTIONS: '', NQC: `${process.execPath} ${NQC_BIN}` },
    timeout: 120_000,
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}
