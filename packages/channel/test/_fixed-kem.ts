// A test-only HPKE suite whose Encap returns a fixed encapsulation: the shared secret is recovered
// through Decap with the known recipient key, so the sender side of published examples can be
// replayed byte for byte. Never used outside tests.
import { CipherSuite, type Key, type KEMFactory, type KeyPair } from 'hpke';
import * as noble from '@panva/hpke-noble';

export function fixedEphemeralSuite(kem: KEMFactory, kdf: keyof typeof noble, aead: keyof typeof noble, enc: Uint8Array, recipient: KeyPair<Key>): CipherSuite {
  const fixed: KEMFactory = () => {
    const real = kem();
    return Object.freeze({
      ...real,
      DeriveKeyPair: real.DeriveKeyPair.bind(real),
      GenerateKeyPair: real.GenerateKeyPair.bind(real),
      SerializePublicKey: real.SerializePublicKey.bind(real),
      DeserializePublicKey: real.DeserializePublicKey.bind(real),
      SerializePrivateKey: real.SerializePrivateKey.bind(real),
      DeserializePrivateKey: real.DeserializePrivateKey.bind(real),
      Decap: real.Decap.bind(real),
      async Encap() {
        return { enc, shared_secret: await real.Decap(enc, recipient.privateKey, recipient.publicKey) };
      },
    });
  };
  return new CipherSuite(fixed, noble[kdf] as never, noble[aead] as never);
}
