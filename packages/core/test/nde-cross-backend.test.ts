// Cross-backend envelopes: an envelope encrypted with NDE backend A opens with backend B, for every
// backend @nqc/nde/node can start here (reference always; onnx and wasm when they load and pass their
// self-tests), for NDE v1 and v2, on the pipelined (64 KiB chunks) and the sequential (4 MiB chunks)
// paths. A backend that does not exist for a version here is listed as skipped, with the reason.
import { describe, it, expect, afterAll } from '@jest/globals';
import { createNde } from '@nqc/nde/node';
import type { NdeBackend, NdeVersion } from '@nqc/nde';
import { closeNde, decrypt, encrypt, inspect } from '../src/node.js';
import { alice, hex, seeded } from './helpers.js';

type Name = 'reference' | 'onnx' | 'wasm';
const NAMES: Name[] = ['reference', 'onnx', 'wasm'];

// Probe once per (version, backend) at load time, so each unavailable pair is one named skip.
const started = new Map<string, NdeBackend>();
const missing = new Map<string, string>();
for (const version of [1, 2] as const) {
  for (const name of NAMES) {
    try {
      const b = await createNde({ version, backend: name });
      if (b.name !== name || b.version !== version) throw new Error(`asked for ${name} v${version}, got ${b.name} v${b.version}`);
      started.set(`${name}/v${version}`, b);
    } catch (e) {
      missing.set(`${name}/v${version}`, (e as Error).message.split('\n')[0]!);
    }
  }
}

afterAll(async () => {
  await Promise.all([...started.values()].map((b) => b.close()));
  await closeNde();
});

const pt = seeded('nqc/core/test/cross-backend', 3 * 65_536 + 1234);

describe.each([1, 2] as const)('NDE v%i', (version: NdeVersion) => {
  for (const a of NAMES) {
    for (const b of NAMES) {
      const why = missing.get(`${a}/v${version}`) ?? missing.get(`${b}/v${version}`);
      const title = `encrypted with ${a}, decrypted with ${b}`;
      if (why !== undefined) {
        it.skip(`${title} (not available here: ${why})`, () => undefined);
        continue;
      }
      it(title, async () => {
        const A = started.get(`${a}/v${version}`)!;
        const B = started.get(`${b}/v${version}`)!;
        for (const chunkSize of [65_536, 4 * 1024 * 1024]) {
          const env = (await encrypt(pt, { recipients: alice.recipient(), nde: A, chunkSize })) as Uint8Array;
          expect((await inspect(env)).nde?.version).toBe(version);
          const { plaintext } = await decrypt(env, { identities: alice, nde: B });
          expect([chunkSize, hex(plaintext)]).toEqual([chunkSize, hex(pt)]);
        }
      }, 180_000);
    }
  }

  it('the reference backend exists for this version (the specification, everywhere)', () => {
    expect(started.has(`reference/v${version}`)).toBe(true);
  });
});
