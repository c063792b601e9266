import { describe, expect, it } from '@jest/globals';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nqc, workdir } from './harness.js';

describe('nqc keygen', () => {
  it('writes an owner-only identity and prints the public keys on stderr', () => {
    const d = workdir();
    const r = nqc(d, ['keygen', '-o', 'me.key']);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^Public key: nqc-xwing-1[02-9ac-hj-np-z]+\nVerifying key: nqc-pub-mldsa65-1[02-9ac-hj-np-z]+\n$/);
    expect(statSync(join(d, 'me.key')).mode & 0o777).toBe(0o600);
    const y = nqc(d, ['keygen', '-y', 'me.key']);
    expect(y.status).toBe(0);
    const [recipient, verifying] = y.stdout.toString().trim().split('\n');
    expect(r.stderr).toContain(`Public key: ${recipient}\n`);
    expect(r.stderr).toContain(`Verifying key: ${verifying}\n`);
  });

  it('never overwrites an existing file without --force', () => {
    const d = workdir();
    writeFileSync(join(d, 'me.key'), 'precious');
    const r = nqc(d, ['keygen', '-o', 'me.key']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('nqc: output file exists: me.key (use --force to overwrite)\n');
    expect(readFileSync(join(d, 'me.key'), 'utf8')).toBe('precious');
    expect(nqc(d, ['keygen', '-o', 'me.key', '--force']).status).toBe(0);
    expect(readFileSync(join(d, 'me.key'), 'utf8')).toMatch(/^# nqc identity file/);
  });

  it('protects with a passphrase and names a wrong one in one line', () => {
    const d = workdir();
    expect(nqc(d, ['keygen', '-o', 'p.key', '--passphrase-fd', '3'], { passphrase: 'correct horse' }).status).toBe(0);
    expect(readFileSync(join(d, 'p.key'), 'utf8')).toContain('-----BEGIN NQC ENCRYPTED IDENTITY-----');
    const bad = nqc(d, ['keygen', '-y', 'p.key', '--passphrase-fd', '3'], { passphrase: 'wrong' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('nqc: wrong passphrase (or the encrypted identity was modified)\n');
    expect(nqc(d, ['keygen', '-y', 'p.key', '--passphrase-fd', '3'], { passphrase: 'correct horse' }).status).toBe(0);
  });

  it('warns when an identity file is readable by others', () => {
    const d = workdir();
    nqc(d, ['keygen', '-o', 'me.key']);
    chmodSync(join(d, 'me.key'), 0o644);
    const r = nqc(d, ['keygen', '-y', 'me.key']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('nqc: warning: identity file me.key is readable by other users (chmod 600 me.key)\n');
  });

  it('reports unreadable and malformed key files in one line, without a stack trace', () => {
    const d = workdir();
    const missing = nqc(d, ['keygen', '-y', 'nope.key']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('nqc: cannot read identity file nope.key: no such file or directory\n');
    writeFileSync(join(d, 'junk.key'), 'not a key\n', { mode: 0o600 });
    const junk = nqc(d, ['keygen', '-y', 'junk.key']);
    expect(junk.status).toBe(1);
    expect(junk.stderr.split('\n')).toHaveLength(2);
    expect(junk.stderr).toMatch(/^nqc: .*line 1/);
    expect(junk.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('exits 2 on a usage error', () => {
    const r = nqc(workdir(), ['keygen', '--no-such-flag']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
  });
});
