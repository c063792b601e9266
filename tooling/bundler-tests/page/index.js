// The page with HE: encrypt/decrypt plus an HE record (reaches @nqc/she and node-seal lazily).
import { decrypt, encrypt, encryptRecord, generateIdentity } from '@nqc/core';

async function main() {
  const id = generateIdentity();
  const env = await encrypt(new TextEncoder().encode('hi'), { recipients: [id.recipient().toString()], nde: 'off' });
  const { plaintext } = await decrypt(env, { identities: [id] });
  return { plaintext, encryptRecord };
}
globalThis.nqcBundlerResult = main();
