// `nqc agent` and `-i agent:` / `-s agent:`: the CLI decrypting, signing and rotating through the
// custody agent with no identity file in reach, a stopped agent, and the socket directory check.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NQC_BIN, nqc, workdir } from './harness.js';

let d: string;
let keys: string;
let sock: string;
let agent: ChildProcess;
let agentErr = '';
const plain = randomBytes(150_000);

/** Starts `nqc agent ...args` and resolves once it says it is listening; `fd3` is offered on file descriptor 3. */
function startAgent(args: string[], fd3?: number): Promise<ChildProcess> {
  const stdio: ('ignore' | 'pipe' | number)[] = fd3 === undefined ? ['ignore', 'ignore', 'pipe'] : ['ignore', 'ignore', 'pipe', fd3];
  const child = spawn(process.execPath, [NQC_BIN, 'agent', ...args], { cwd: d, stdio, env: { ...process.env, NODE_OPTIONS: '' } });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      err += s;
      if (fd3 === undefined) agentErr += s;
      if (err.includes('agent listening on')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`agent exited with ${code}: ${err}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

beforeAll(async () => {
  d = workdir();
  keys = join(d, 'keys');
  mkdirSync(keys, { mode: 0o700 });
  expect(nqc(d, ['keygen', '-o', join(keys, 'alice.key')]).status).toBe(0);
  chmodSync(join(keys, 'alice.key'), 0o600);
  writeFileSync(join(d, 'alice.pub'), nqc(d, ['keygen', '-y', join(keys, 'alice.key')]).stdout);
  expect(nqc(d, ['keygen', '-o', 'bob.key']).status).toBe(0);
  writeFileSync(join(d, 'bob.pub'), nqc(d, ['keygen', '-y', 'bob.key']).stdout);
  writeFileSync(join(d, 'plain.bin'), plain);
  sock = join(d, 'run', 'agent.sock');
  agent = await startAgent(['--socket', sock, '-i', join(keys, 'alice.key')]);
  // From here on alice's identity file is out of reach of the commands under test.
  renameSync(keys, join(d, '.hidden-keys'));
}, 180_000);

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await exited(agent);
  }
});

describe('nqc agent', () => {
  it('the socket is 0600 in a 0700 directory', () => {
    expect(statSync(join(d, 'run')).mode & 0o777).toBe(0o700);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
  }, 180_000);

  it('decrypts with -i agent:SOCKET and no identity file', () => {
    expect(nqc(d, ['encrypt', '-R', 'alice.pub', '-o', 'a.nqc', 'plain.bin']).status).toBe(0);
    const r = nqc(d, ['decrypt', '-i', `agent:${sock}`, '-o', 'a.out', 'a.nqc']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(readFileSync(join(d, 'a.out')).equals(plain)).toBe(true);
    // relative socket path, and the default socket from NQC_AGENT_SOCK
    expect(nqc(d, ['decrypt', '-i', 'agent:run/agent.sock', 'a.nqc']).stdout.equals(plain)).toBe(true);
    expect(nqc(d, ['decrypt', '-i', 'agent:', 'a.nqc'], { env: { NQC_AGENT_SOCK: sock } }).stdout.equals(plain)).toBe(true);
  }, 180_000);

  it('an envelope not for the agent\'s keys is the one decryption failure; another -i still opens it', () => {
    expect(nqc(d, ['encrypt', '-R', 'bob.pub', '-o', 'b.nqc', 'plain.bin']).status).toBe(0);
    const r = nqc(d, ['decrypt', '-i', `agent:${sock}`, 'b.nqc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('nqc: could not decrypt: no identity matched, or the file was modified or truncated\n');
    expect(nqc(d, ['decrypt', '-i', `agent:${sock}`, '-i', 'bob.key', 'b.nqc']).stdout.equals(plain)).toBe(true);
  }, 180_000);

  it('signs with -s agent: (the agent\'s only signing key); --verify accepts the signature', () => {
    const env = { NQC_AGENT_SOCK: sock };
    const e = nqc(d, ['encrypt', '-R', 'bob.pub', '-s', 'agent:', '-o', 's.nqc', 'plain.bin'], { env });
    expect(e).toMatchObject({ status: 0, stderr: '' });
    const r = nqc(d, ['decrypt', '-i', 'bob.key', '--verify', 'alice.pub', '-o', 's.out', 's.nqc']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^nqc: good signature by mldsa65 key [0-9a-f]{8}\n$/);
    expect(readFileSync(join(d, 's.out')).equals(plain)).toBe(true);
    // by key id, and a key id the agent does not hold
    const keyId = /key ([0-9a-f]{8})/.exec(r.stderr)![1]!;
    expect(nqc(d, ['encrypt', '-R', 'bob.pub', '-s', `agent:${keyId}`, '-o', 's2.nqc', 'plain.bin'], { env }).status).toBe(0);
    const bad = nqc(d, ['encrypt', '-R', 'bob.pub', '-s', 'agent:00000000', '-o', 's3.nqc', 'plain.bin'], { env });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/no usable signing key 00000000/);
    expect(existsSync(join(d, 's3.nqc'))).toBe(false);
  }, 180_000);

  it('rotate: opens with -i agent:, re-signs with -s agent: after --verify', () => {
    const env = { NQC_AGENT_SOCK: sock };
    expect(nqc(d, ['encrypt', '-R', 'alice.pub', '-s', 'agent:', '-o', 'r.nqc', 'plain.bin'], { env }).status).toBe(0);
    const r = nqc(d, ['rotate', '-i', 'agent:', '-R', 'bob.pub', '-R', 'alice.pub', '--verify', 'alice.pub', '-s', 'agent:', '-o', 'r2.nqc', 'r.nqc'], { env });
    expect(r).toMatchObject({ status: 0 });
    expect(nqc(d, ['decrypt', '-i', 'bob.key', '--verify', 'alice.pub', 'r2.nqc']).stdout.equals(plain)).toBe(true);
    const k = nqc(d, ['rekey', '-i', 'agent:', '-R', 'bob.pub', '--verify', 'alice.pub', '-o', 'r3.nqc', 'r.nqc'], { env });
    expect(k.status).toBe(0);
    expect(nqc(d, ['decrypt', '-i', 'bob.key', 'r3.nqc']).stdout.equals(plain)).toBe(true);
  }, 180_000);

  it('refuses a socket directory group or others can reach (exit 1), and a key file others can read', async () => {
    const open = join(d, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    const r = nqc(d, ['agent', '--socket', join(open, 'agent.sock'), '-i', 'bob.key']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nqc: refusing to start: .*open is accessible by group or others \(mode 755\); chmod 700 it\n$/);
    expect(existsSync(join(open, 'agent.sock'))).toBe(false);
    writeFileSync(join(d, 'exposed.key'), readFileSync(join(d, 'bob.key')), { mode: 0o644 });
    chmodSync(join(d, 'exposed.key'), 0o644);
    const e = nqc(d, ['agent', '--socket', join(d, 'run2', 's'), '-i', 'exposed.key']);
    expect(e.status).toBe(1);
    expect(e.stderr).toMatch(/exposed\.key is readable or writable by group or others: chmod 600 it/);
  }, 180_000);

  it('unlocks a passphrase-protected identity file once (--passphrase-fd); the commands then need no passphrase', async () => {
    expect(nqc(d, ['keygen', '-o', 'carol.key', '--passphrase-fd', '3'], { passphrase: 'correct horse' }).status).toBe(0);
    writeFileSync(join(d, 'carol.pub'), nqc(d, ['keygen', '-y', 'carol.key', '--passphrase-fd', '3'], { passphrase: 'correct horse' }).stdout);
    writeFileSync(join(d, 'carol.pass'), 'correct horse\n', { mode: 0o600 });
    const fd = openSync(join(d, 'carol.pass'), 'r');
    let carol: ChildProcess;
    try {
      carol = await startAgent(['--socket', join(d, 'run3', 'agent.sock'), '-i', 'carol.key', '--passphrase-fd', '3'], fd);
    } finally {
      closeSync(fd);
    }
    try {
      expect(nqc(d, ['encrypt', '-R', 'carol.pub', '-o', 'c.nqc', 'plain.bin']).status).toBe(0);
      const r = nqc(d, ['decrypt', '-i', `agent:${join(d, 'run3', 'agent.sock')}`, 'c.nqc']);
      expect(r.status).toBe(0);
      expect(r.stdout.equals(plain)).toBe(true);
    } finally {
      carol.kill('SIGINT');
      expect(await exited(carol)).toBe(0);
    }
    expect(existsSync(join(d, 'run3', 'agent.sock'))).toBe(false);
  }, 180_000);

  it('SIGTERM stops it cleanly (exit 0, socket removed); then -i agent: and -s agent: fail with a clear error, exit 1', async () => {
    agent.kill('SIGTERM');
    expect(await exited(agent)).toBe(0);
    expect(agentErr).toMatch(/nqc: agent stopping \(SIGTERM\)\n$/);
    expect(existsSync(sock)).toBe(false);
    const r = nqc(d, ['decrypt', '-i', `agent:${sock}`, '-o', 'gone.out', 'a.nqc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nqc: cannot reach the nqc agent at .*agent\.sock \(ENOENT\): start it with `nqc agent`/);
    expect(existsSync(join(d, 'gone.out'))).toBe(false);
    const s = nqc(d, ['encrypt', '-R', 'bob.pub', '-s', 'agent:', '-o', 'gone.nqc', 'plain.bin'], { env: { NQC_AGENT_SOCK: sock } });
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/^nqc: cannot reach the nqc agent/);
    expect(existsSync(join(d, 'gone.nqc'))).toBe(false);
  }, 180_000);
});
