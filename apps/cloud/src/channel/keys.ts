/**
 * The server's channel keys: an ML-DSA-65 identity key that signs the gateway's key configuration
 * (clients pin its verifying key) and the X-Wing gateway key that opens requests. Both are the
 * server's own secrets; nothing of a user's is kept here.
 * @module
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayKey, GATEWAY_SEED_LENGTH } from '@nqc/channel';
import { generateSigningKey, parseSigningKey, type SigningKey } from '@nqc/pql';
import { NqcCloudError } from '../errors.js';

/** The server's channel keys. */
export interface ChannelKeys {
  /** Signs the key configuration; its verifying key is what clients pin. */
  readonly signingKey: SigningKey;
  /** The gateway's X-Wing keys (distinct key ids). */
  readonly gatewayKeys: readonly GatewayKey[];
}

/** Fresh keys (an ephemeral server: clients must learn the new verifying key). */
export async function generateChannelKeys(): Promise<ChannelKeys> {
  return { signingKey: generateSigningKey(), gatewayKeys: [await GatewayKey.generate({ keyId: 1 })] };
}

const MAGIC = '# nqc-cloud channel keys v1 (secret: the server\'s own signing key and X-Wing gateway seed)';

/**
 * Loads the server's channel keys from `file`, or creates it (mode 0600) with fresh keys, so a
 * restarted server keeps the verifying key clients pinned.
 * @throws {NqcCloudError} ERR_CLOUD_INTERNAL for a file that is not a channel key file
 */
export async function loadOrCreateChannelKeys(file: string): Promise<ChannelKeys> {
  if (!existsSync(file)) {
    const keys = await generateChannelKeys();
    const gateway = keys.gatewayKeys[0]!;
    mkdirSync(dirname(file), { recursive: true });
    const text = `${MAGIC}\nsigning ${keys.signingKey.toString()}\ngateway ${gateway.config.keyId} ${Buffer.from(gateway.exportSeed()).toString('hex')}\n`;
    try {
      writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
      return keys;
    } catch (e) {
      // Another instance created it first: use its keys (below), so both pin-compatible.
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
  }
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const bad = () => new NqcCloudError('ERR_CLOUD_INTERNAL', `${file} is not an nqc-cloud channel key file`);
  if (lines[0] !== MAGIC) throw bad();
  let signingKey: SigningKey | undefined;
  const gatewayKeys: GatewayKey[] = [];
  for (const line of lines.slice(1)) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'signing' && a && signingKey === undefined) signingKey = parseSigningKey(a);
    else if (kind === 'gateway' && a && b && /^\d{1,3}$/.test(a) && b.length === GATEWAY_SEED_LENGTH * 2) {
      gatewayKeys.push(await GatewayKey.fromSeed(new Uint8Array(Buffer.from(b, 'hex')), { keyId: Number(a) }));
    } else throw bad();
  }
  if (!signingKey || gatewayKeys.length === 0) throw bad();
  return { signingKey, gatewayKeys };
}
