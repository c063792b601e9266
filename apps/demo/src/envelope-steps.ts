/**
 * Act 2: a file in an envelope (@nqc/core): encrypted to two recipients, signed, inspected without a
 * key, opened and verified, and a tampered copy refused.
 * @module
 */
import { decrypt, encrypt, inspect, type KemIdentity, type SigningKey } from './core.js';
import { REPORT } from './data.js';
import type { Log } from './steps.js';

/** What act 2 showed. */
export interface EnvelopeOutcome {
  opened: boolean;
  signatureVerified: boolean;
  tamperedRejected: boolean;
  strangerRejected: boolean;
}

/** Encrypts the embedded report to Alice and Bob, signed by Alice; Bob opens it; tampering fails. */
export async function envelopeAct(log: Log, people: { alice: KemIdentity; bob: KemIdentity; carol: KemIdentity; aliceSigns: SigningKey }): Promise<EnvelopeOutcome> {
  const { alice, bob, carol, aliceSigns } = people;
  const plaintext = new TextEncoder().encode(REPORT);
  log(`6. Alice encrypts a ${plaintext.length.toLocaleString('en-US')}-byte report to herself and Bob, signed with ML-DSA-65.`);
  const envelope = await encrypt(plaintext, { recipients: [alice.recipient(), bob.recipient()], signer: aliceSigns });
  const info = await inspect(envelope);
  log(`   envelope: ${envelope.length.toLocaleString('en-US')} bytes; ${info.recipients.length} recipients (${info.recipients.map((r) => r.type).join(', ')}),`);
  log(`   ${info.aead} in ${info.chunkSize / 1024} KiB chunks, neural layer ${info.nde ? 'on' : 'off'}, signed by key ${info.signer?.keyId}`);
  const { plaintext: opened, signer } = await decrypt(envelope, { identities: [bob], requireSigner: aliceSigns.verifyingKey() });
  const same = new TextDecoder().decode(opened) === REPORT;
  log(`7. Bob decrypts it: ${same ? 'the report, byte for byte' : 'WRONG PLAINTEXT'}; signature by ${signer?.keyId === info.signer?.keyId ? 'Alice verified' : 'NOT VERIFIED'}.`);
  const tampered = envelope.slice();
  tampered[tampered.length - 4000]! ^= 1;
  const tamperedRejected = await decrypt(tampered, { identities: [bob] }).then(
    () => false,
    (e: { code?: string }) => e.code === 'ERR_FORMAT_DECRYPT_FAILED',
  );
  log(`   one flipped bit in the payload: ${tamperedRejected ? 'refused ("could not decrypt")' : 'ACCEPTED (bad!)'}`);
  const strangerRejected = await decrypt(envelope, { identities: [carol] }).then(
    () => false,
    (e: { code?: string }) => e.code === 'ERR_FORMAT_DECRYPT_FAILED',
  );
  log(`   Carol tries with her identity: ${strangerRejected ? 'refused' : 'OPENED (bad!)'}`);
  return { opened: same, signatureVerified: signer !== undefined, tamperedRejected, strangerRejected };
}
