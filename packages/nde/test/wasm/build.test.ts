// The committed module, the embedded bytes and the .wat source agree.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { _NDE_WASM_SHA256 } from '../../src/wasm/module.generated.js';
import { _wasmModuleBytes } from '../../src/wasm/module.js';

const committed = new Uint8Array(readFileSync(new URL('../../wasm/nde-v2.wasm', import.meta.url)));
const hasWat2wasm = spawnSync('wat2wasm', ['--version']).status === 0;

describe('wasm/nde-v2.wasm', () => {
  it('the embedded bytes (src/wasm/module.generated.ts) are the committed .wasm, and its SHA-256 is the pinned one', () => {
    expect(bytesToHex(sha256(committed))).toBe(_NDE_WASM_SHA256);
    expect(_wasmModuleBytes()).toEqual(committed);
  });

  (hasWat2wasm ? it : it.skip)('rebuilding from wasm/nde-v2.wat with wat2wasm gives the same bytes (node wasm/build.mjs --check)', () => {
    const r = spawnSync(process.execPath, [new URL('../../wasm/build.mjs', import.meta.url).pathname, '--check'], { encoding: 'utf8' });
    expect([r.status, r.stdout.trim()]).toEqual([0, 'nde-v2.wasm matches; module.generated.ts matches']);
  });
});
