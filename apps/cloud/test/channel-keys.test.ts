// The server's channel keys: kept in a 0600 file so a restarted server keeps the verifying key its
// clients pinned; a file that is not a channel key file is refused, not overwritten.
import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateChannelKeys } from '../src/channel/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nqc-cloud-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('created once (mode 0600), then loaded: the same server key and gateway key', async () => {
  const file = join(dir, 'sub', 'channel-keys.txt');
  const a = await loadOrCreateChannelKeys(file);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const b = await loadOrCreateChannelKeys(file);
  expect(b.signingKey.verifyingKey().toString()).toBe(a.signingKey.verifyingKey().toString());
  expect(b.gatewayKeys.map((k) => [k.config.keyId, Buffer.from(k.config.publicKey).toString('hex')])).toEqual(a.gatewayKeys.map((k) => [k.config.keyId, Buffer.from(k.config.publicKey).toString('hex')]));
}, 60_000);

test('a file that is not a channel key file is refused (ERR_CLOUD_INTERNAL)', async () => {
  const file = join(dir, 'bad.txt');
  writeFileSync(file, 'hello\n');
  await expect(loadOrCreateChannelKeys(file)).rejects.toMatchObject({ code: 'ERR_CLOUD_INTERNAL' });
});
