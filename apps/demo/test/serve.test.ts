// `npm run demo` starts the cloud server: it prints the URL, serves the page, and stops cleanly on
// SIGTERM (exit 0) and SIGINT (exit 130). Runs the built launcher (dist/main.js) as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';

const main = join(import.meta.dirname, '..', 'dist', 'main.js');
const dataDir = mkdtempSync(join(tmpdir(), 'nqc-demo-serve-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM'); // a failed test leaves nothing running
});

async function launch() {
  const child = spawn(process.execPath, [main], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NQC_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+) in a browser[^]*Ctrl-C stops it/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`exited ${code} before printing the URL:\n${out}`)));
  });
  return { child, url, exited, output: () => out };
}

describe('npm run demo (the cloud server)', () => {
  it('prints the URL, serves the page, and exits 0 on SIGTERM; the port is closed after', async () => {
    const { child, url, exited, output } = await launch();
    expect(output()).toMatch(/nqc cloud: http:\/\/127\.0\.0\.1:\d+ \(data in /);
    expect(output()).toContain('Ctrl-C stops it');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await page.text()).toContain('nqc zero-trust cloud');
    expect((await fetch(`${url}/app.js`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(url)).rejects.toThrow(); // the server child is gone too
  }, 180_000);

  it('exits 130 on SIGINT (Ctrl-C), after stopping the server', async () => {
    const { child, url, exited } = await launch();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    await expect(fetch(url)).rejects.toThrow();
  }, 180_000);

  it('--check without Chromium exits 1 and says how to install it (nothing started, nothing downloaded)', async () => {
    const child = spawn(process.execPath, [main, '--check'], { env: { ...process.env, NQC_CHROMIUM: join(dataDir, 'no-such-chromium') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(err).toMatch(/no Chromium at .*no-such-chromium/);
    expect(err).toMatch(/apt-get install -y chromium/);
  }, 60_000);

  it('refuses unknown arguments with its usage (exit 2)', async () => {
    const child = spawn(process.execPath, [main, '--serve-forever'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(2);
    expect(err).toMatch(/usage: npm run demo/);
  }, 60_000);
});
