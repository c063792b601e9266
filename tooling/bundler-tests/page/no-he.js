// The page without HE: only the envelope API (the HE code must stay out of the initial chunk).
import { decrypt, encrypt, generateIdentity } from '@nqc/core';

async function main() {
  const id = generateIdentity();
  const env = await encrypt(new TextEncoder().encode('hi'), { recipients: [id.recipient().toString()] });
  return (await decrypt(env, { identities: [id] })).plaintext;
}
globalThis.nqcBundlerResult = main();
