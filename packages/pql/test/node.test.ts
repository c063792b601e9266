import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { generateIdentity, NqcPqlError } from '../src/index.js';
import { checkIdentityFilePermissions, readIdentityFile, writeIdentityFile } from '../src/node.js';

const dir = await mkdtemp(join(tmpdir(), 'nqc-pql-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('identity files on disk (Node)', () => {
  it('writes atomically with mode 0600, overwrites, leaves no temp file, reads back', async () => {
    const p = join(dir, 'key.nqc');
    const a = generateIdentity();
    await writeIdentityFile(p, { identities: [a], signingKeys: [] });
    expect((await stat(p)).mode & 0o777).toBe(0o600);
    expect(await checkIdentityFilePermissions(p)).toEqual({ mode: 0o600, exposed: false });
    const b = generateIdentity();
    await writeIdentityFile(p, { identities: [b], signingKeys: [] }, { passphrase: 'pw', scrypt: { logN: 10, r: 8, p: 1 } });
    expect(await readdir(dir)).toEqual(['key.nqc']);
    const back = await readIdentityFile(p, { passphrase: 'pw' });
    expect(back.identities[0]!.publicKey).toEqual(b.publicKey);
  });

  it('reports files readable by group or others', async () => {
    const p = join(dir, 'loose.nqc');
    await writeFile(p, generateIdentity().toString() + '\n');
    await chmod(p, 0o644);
    expect(await checkIdentityFilePermissions(p)).toEqual({ mode: 0o644, exposed: true });
    await chmod(p, 0o640);
    expect((await checkIdentityFilePermissions(p)).exposed).toBe(true);
  });

  it('refuses a directory with a typed error', async () => {
    await expect(readIdentityFile(dir)).rejects.toBeInstanceOf(NqcPqlError);
  });
});
