// nde-keystream runs from dist/ (turbo builds the package before its tests; by hand: pnpm build first).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { bytesToHex } from '@noble/hashes/utils.js';
import { referenceBackend, referenceBackendV2 } from '../src/index.js';
import { testBytes } from './helpers.js';

const bin = fileURLToPath(new URL('../bin/nde-keystream.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/bin/nde-keystream.js', import.meta.url)));

function run(args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

const key = testBytes(32, 77);
const salt = testBytes(12, 78);

describe('nde-keystream bin', () => {
  it('dist is built (run `pnpm build` before testing by hand)', () => {
    expect(built).toBe(true);
  });

  it.each(['reference', 'onnx'])('--version 1: writes the v1 keystream (encryption of zeros) of consecutive chunks, backend %s', (backend) => {
    const length = 70_000; // two chunks of 65536: index 5 then 6
    const r = run(['--key', bytesToHex(key), '--salt', bytesToHex(salt), '--index', '5', '--length', String(length), '--backend', backend, '--version', '1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const want = Buffer.concat([
      referenceBackend.encryptChunk(key, salt, 5, new Uint8Array(65536)),
      referenceBackend.encryptChunk(key, salt, 6, new Uint8Array(length - 65536)),
    ]);
    expect(r.stdout.equals(want)).toBe(true);
  });

  it.each([[[]], [['--version', '2']]])('writes the v2 keystream by default and with --version 2 (%p)', (extra) => {
    const length = 70_000;
    const r = run(['--key', bytesToHex(key), '--salt', bytesToHex(salt), '--index', '5', '--length', String(length), '--backend', 'reference', ...extra]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const want = Buffer.concat([
      referenceBackendV2.encryptChunk(key, salt, 5, new Uint8Array(65536)),
      referenceBackendV2.encryptChunk(key, salt, 6, new Uint8Array(length - 65536)),
    ]);
    expect(r.stdout.equals(want)).toBe(true);
  });

  it('honours --chunk-size and --length 0', () => {
    const r = run(['--key', bytesToHex(key), '--salt', '', '--length', '300', '--chunk-size', '128', '--backend', 'reference', '--version', '1']);
    expect(r.status).toBe(0);
    const empty = new Uint8Array(0);
    const want = Buffer.concat([0, 1, 2].map((i) => referenceBackend.encryptChunk(key, empty, i, new Uint8Array(i < 2 ? 128 : 44))));
    expect(r.stdout.equals(want)).toBe(true);
    const zero = run(['--key', bytesToHex(key), '--length', '0', '--backend', 'reference']);
    expect([zero.status, zero.stdout.length]).toEqual([0, 0]);
  });

  it.each([
    [['--salt', '00', '--length', '1'], 'missing --key'],
    [['--key', '00', '--length', '1'], '"key" expected Uint8Array of length 32, got length=1'],
    [['--key', 'zz', '--length', '1'], '--key expected hex bytes'],
    [['--key', '00'.repeat(32), '--length=-3'], '--length expected a non-negative integer, got -3'],
    [['--key', '00'.repeat(32), '--length', '3', '--backend', 'gpu'], '--backend expected auto, reference, onnx or wasm, got gpu'],
    [['--key', '00'.repeat(32), '--length', '3', '--version', '3'], '--version expected 1 or 2, got 3'],
    [['--key', '00'.repeat(32), '--length', '3', '--version', 'v2'], '--version expected 1 or 2, got v2'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('fail_usage %p: exit 2 with a one-line reason', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr.split('\n')[0]).toContain(message);
  });
});
