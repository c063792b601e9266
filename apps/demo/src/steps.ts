/**
 * The walkthrough's steps, each a small function the later layers (envelope, HE) can reuse.
 * @module
 */
import {
  generateIdentity,
  generateSigningKey,
  wrapToRecipients,
  type KemIdentity,
  type SigningKey,
  type Stanza,
} from '@nqc/pql';

/** Where the walkthrough writes its lines (console.log in `main`, an array in tests). */
export type Log = (line: string) => void;

/** Shortens a long key string for display: `nqc-xwing-1qz7…k3v9 (1,960 chars)`. */
export function abbreviate(keyString: string, keep = 8): string {
  const sep = keyString.lastIndexOf('1');
  const head = keyString.slice(0, sep + 1 + keep);
  return `${head}…${keyString.slice(-keep)} (${keyString.length.toLocaleString('en-US')} chars)`;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Step 1: two people create X-Wing identities and publish their recipient strings. */
export function createIdentities(log: Log): { alice: KemIdentity; bob: KemIdentity } {
  const alice = generateIdentity();
  const bob = generateIdentity();
  log('1. Alice and Bob each generate an X-Wing (ML-KEM-768 + X25519) identity.');
  log(`   Alice's recipient: ${abbreviate(alice.recipient().toString())}`);
  log(`   Bob's recipient:   ${abbreviate(bob.recipient().toString())}`);
  return { alice, bob };
}

/** Step 2: a random 32-byte file key is wrapped to both recipients: one stanza each. */
export function wrapToBoth(log: Log, alice: KemIdentity, bob: KemIdentity): { fileKey: Uint8Array; stanzas: Stanza[] } {
  const fileKey = crypto.getRandomValues(new Uint8Array(32));
  const stanzas = wrapToRecipients(fileKey, [alice.recipient(), bob.recipient()]);
  log(`2. A random file key (${hex(fileKey).slice(0, 16)}…) is wrapped to both recipients:`);
  for (const s of stanzas) log(`   stanza type=${s.type} args=[${s.args.join(', ')}] body=${s.body.length} bytes`);
  return { fileKey, stanzas };
}

/** Step 3: each recipient unwraps the file key with their own identity. */
export function unwrapWithEach(log: Log, stanzas: Stanza[], fileKey: Uint8Array, people: Record<string, KemIdentity>): boolean {
  log('3. Each recipient unwraps it with their own secret identity:');
  let ok = true;
  for (const [name, id] of Object.entries(people)) {
    const got = id.unwrapFileKey(stanzas);
    const match = got !== null && hex(got) === hex(fileKey);
    ok &&= match;
    log(`   ${name}: ${match ? 'file key recovered' : 'FAILED'}`);
  }
  return ok;
}

/** Step 4: a third identity is told "not mine" (null), not an error. */
export function strangerGetsNotMine(log: Log, stanzas: Stanza[]): boolean {
  const carol = generateIdentity();
  const got = carol.unwrapFileKey(stanzas);
  log(`4. Carol (not a recipient) tries: ${got === null ? '"not mine" (null), as expected' : 'UNEXPECTEDLY opened it'}`);
  return got === null;
}

/** Step 5: sign with ML-DSA-65, verify, and show that a tampered message fails. */
export function signAndVerify(log: Log): { valid: boolean; tamperedRejected: boolean; signer: SigningKey } {
  const signer = generateSigningKey('mldsa65');
  const message = new TextEncoder().encode('Quarterly totals: 1,234,567');
  const signature = signer.sign(message);
  const verifier = signer.verifyingKey();
  const valid = verifier.verify(signature, message);
  const tampered = new TextEncoder().encode('Quarterly totals: 9,234,567');
  const tamperedRejected = !verifier.verify(signature, tampered);
  log('5. Alice signs a message with ML-DSA-65.');
  log(`   verifying key: ${abbreviate(verifier.toString())}`);
  log(`   signature: ${signature.length} bytes; verifies: ${valid ? 'yes' : 'NO'}`);
  log(`   tampered message verifies: ${tamperedRejected ? 'no (rejected)' : 'YES (bad!)'}`);
  return { valid, tamperedRejected, signer };
}
