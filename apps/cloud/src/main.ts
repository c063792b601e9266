/**
 * `npm start`: the cloud server on the embedded SQLite store. Honours `PORT` (default 8787), `HOST`
 * (default 127.0.0.1) and `NQC_DATA_DIR` (default `./data`); the channel's server keys are kept in
 * `NQC_CHANNEL_KEYS` (default `<data dir>/channel-keys.txt`, created with mode 0600); stops cleanly on Ctrl-C.
 * @module
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SecurityManager } from '@nqc/agents';
import { loadOrCreateChannelKeys } from './channel/index.js';
import { buildServer } from './server.js';
import { SqliteStore } from './sqlite-store.js';

const port = Number(process.env['PORT'] ?? 8787);
const host = process.env['HOST'] ?? '127.0.0.1';
const dataDir = process.env['NQC_DATA_DIR'] ?? 'data';
if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
  console.error(`nqc-cloud: PORT must be 0..65535, got ${process.env['PORT']}`);
  process.exit(2);
}
const store = new SqliteStore(dataDir);
// The manager's pools are not used yet (SEAL runs in a worker thread per dataset): it serves
// /metrics and /status and meters the cloud.check and cloud.aggregate operations.
const manager = await SecurityManager.create({ pools: { pq: false, he: false, bulk: false } });
// The same server key across restarts, so clients that pinned it keep working.
const keys = await loadOrCreateChannelKeys(process.env['NQC_CHANNEL_KEYS'] ?? join(dataDir, 'channel-keys.txt'));
const app = await buildServer({ store, manager, channel: { keys }, logger: { level: process.env['LOG_LEVEL'] ?? 'info' }, pageDir: fileURLToPath(new URL('./page', import.meta.url)) });
const stop = async () => {
  await app.close();
  await manager.close();
  await store.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
const address = await app.listen({ port, host });
console.log(`nqc cloud: ${address.replace('[::1]', 'localhost')} (data in ${store.file}; Ctrl-C to stop)`);
console.log(`nqc cloud: channel server key ${app.channelServerKey}`);
