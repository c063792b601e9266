// `nqc encrypt -p` / `nqc decrypt` of a passphrase envelope, `rotate --nde off`, and the passphrase
// prompt on a real pseudo-terminal (typed early, not echoed).
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NQC_BIN, nqc, workdir } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));

function recipientOf(d: string, key: string): string {
  return nqc(d, ['keygen', '-y', key]).stdout.toString().split('\n')[0]!;
}

describe('nqc encrypt -p / decrypt with a passphrase', () => {
  it('round trips through --passphrase-fd; a wrong passphrase gives the one generic error', () => {
    const d = workdir();
    writeFileSync(join(d, 'm.txt'), 'hello passphrase\n');
    const e = nqc(d, ['encrypt', '-p', '--passphrase-fd', '3', '--nde', 'off', '-o', 'm.nqc', 'm.txt'], { passphrase: 'correct horse' });
    expect(e.status).toBe(0);
    const info = nqc(d, ['inspect', 'm.nqc']).stdout.toString();
    expect(info).toMatch(/recipients:\s+1\n\s+- scrypt/);
    const ok = nqc(d, ['decrypt', '--passphrase-fd', '3', 'm.nqc'], { passphrase: 'correct horse' });
    expect(ok.status).toBe(0);
    expect(ok.stdout.toString()).toBe('hello passphrase\n');
    const bad = nqc(d, ['decrypt', '--passphrase-fd', '3', 'm.nqc'], { passphrase: 'correct horsf' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('nqc: could not decrypt: no identity matched, or the file was modified or truncated\n');
    expect(bad.stdout.length).toBe(0);
  }, 120_000);

  it('asks for the passphrase even when -i identities are given (they find no stanza)', () => {
    const d = workdir();
    writeFileSync(join(d, 'm.txt'), 'x');
    nqc(d, ['keygen', '-o', 'me.key']);
    expect(nqc(d, ['encrypt', '-p', '--passphrase-fd', '3', '--nde', 'off', '-o', 'm.nqc', 'm.txt'], { passphrase: 'pw' }).status).toBe(0);
    const r = nqc(d, ['decrypt', '-i', 'me.key', '--passphrase-fd', '3', 'm.nqc'], { passphrase: 'pw' });
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('x');
  }, 120_000);

  it('refuses -p with other recipients (usage), and decrypt without -i of a recipient envelope', () => {
    const d = workdir();
    writeFileSync(join(d, 'm.txt'), 'x');
    nqc(d, ['keygen', '-o', 'me.key']);
    const mixed = nqc(d, ['encrypt', '-p', '-r', recipientOf(d, 'me.key'), '--passphrase-fd', '3', 'm.txt'], { passphrase: 'pw' });
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/^nqc: -p encrypts to a passphrase alone/);
    expect(nqc(d, ['encrypt', '-r', recipientOf(d, 'me.key'), '--nde', 'off', '-o', 'k.nqc', 'm.txt']).status).toBe(0);
    const noId = nqc(d, ['decrypt', 'k.nqc']);
    expect(noId.status).toBe(2);
    expect(noId.stderr).toBe('nqc: no identity: the envelope is not encrypted to a passphrase; give -i IDENTITY_FILE\n');
  }, 120_000);
});

describe('nqc rotate --nde off', () => {
  it('writes the new envelope without the neural layer; the default keeps it', () => {
    const d = workdir();
    writeFileSync(join(d, 'm.txt'), 'rotate me');
    nqc(d, ['keygen', '-o', 'me.key']);
    const me = recipientOf(d, 'me.key');
    expect(nqc(d, ['encrypt', '-r', me, '--nde', 'reference', '-o', 'a.nqc', 'm.txt']).status).toBe(0);
    expect(nqc(d, ['inspect', 'a.nqc']).stdout.toString()).not.toMatch(/neural:\s+off/);
    const kept = nqc(d, ['rotate', '-i', 'me.key', '-r', me, '--nde', 'reference', '-o', 'b.nqc', 'a.nqc']);
    expect(kept.status).toBe(0);
    expect(nqc(d, ['inspect', 'b.nqc']).stdout.toString()).not.toMatch(/neural:\s+off/);
    const off = nqc(d, ['rotate', '-i', 'me.key', '-r', me, '--nde', 'off', '-o', 'c.nqc', 'a.nqc']);
    expect(off.stderr).toBe('');
    expect(off.status).toBe(0);
    expect(nqc(d, ['inspect', 'c.nqc']).stdout.toString()).toMatch(/neural:\s+off/);
    const r = nqc(d, ['decrypt', '-i', 'me.key', '--nde', 'off', 'c.nqc']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('rotate me');
  }, 180_000);
});

// The start-up path: what bin/nqc.js loads before it shows an early prompt must be light (no @nqc/*
// package, no commander, not main.js): checked on the built files' static imports, transitively.
describe('start-up path', () => {
  it('the executable statically imports only node: builtins and light local modules', () => {
    const dist = resolve(here, '..', '..', 'dist');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('node:')) continue;
        expect(spec.startsWith('.')).toBe(true); // no package (e.g. @nqc/core, commander) before the prompt
        visit(resolve(dirname(file), spec));
      }
    };
    visit(join(dist, 'bin', 'nqc.js'));
    expect([...seen].map((f) => f.slice(dist.length + 1)).sort()).toEqual(['bin/nqc.js', 'errors.js', 'io/atomic-output.js', 'io/cleanup.js', 'io/passphrase.js']);
  });
});

const python = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;

/** Runs nqc on a pseudo-terminal, typing each answer as soon as its prompt shows (pty-prompt.py). */
function onTerminal(cwd: string, answers: string[], args: string[]): { firstPromptMs: number | null; status: number; output: string } {
  const r = spawnSync('python3', [join(here, 'pty-prompt.py'), ...answers, '--', process.execPath, NQC_BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', PTY_TIMEOUT: '100' },
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return JSON.parse(r.stdout) as { firstPromptMs: number | null; status: number; output: string };
}

(python ? describe : describe.skip)('passphrase prompt on a terminal', () => {
  it('prompts twice for encrypt -p and once for decrypt, without echo of what is typed at once', () => {
    const d = workdir();
    writeFileSync(join(d, 'm.txt'), 'on a terminal');
    const e = onTerminal(d, ['tty-secret-1', 'tty-secret-1'], ['encrypt', '-p', '--nde', 'off', '-o', 'm.nqc', 'm.txt']);
    expect(e.status).toBe(0);
    expect(e.output).toBe('Enter passphrase: \r\nConfirm passphrase: \r\n');
    const r = onTerminal(d, ['tty-secret-1'], ['decrypt', '-o', 'out.txt', 'm.nqc']);
    expect(r.status).toBe(0);
    expect(r.output).toBe('Enter passphrase: \r\n');
    expect(readFileSync(join(d, 'out.txt'), 'utf8')).toBe('on a terminal');
    // Measured, not asserted (wall clock on a shared machine): printed for the record.
    console.log(`nqc: first prompt after ${e.firstPromptMs?.toFixed(0)} ms (encrypt -p), ${r.firstPromptMs?.toFixed(0)} ms (decrypt)`);
  }, 240_000);

  it('a mismatched confirmation fails and writes nothing', () => {
    const d = workdir();
    writeFileSync(join(d, 'm.txt'), 'x');
    const e = onTerminal(d, ['one', 'two'], ['encrypt', '-p', '--nde', 'off', '-o', 'm.nqc', 'm.txt']);
    expect(e.status).toBe(1);
    expect(e.output).toContain('nqc: passphrases do not match');
    expect(() => readFileSync(join(d, 'm.nqc'))).toThrow();
  }, 120_000);
});
