/**
 * The custody agent as `@nqc/core` identities and signers: `decrypt({ identities: [agentIdentity(c)] })`
 * unwraps through the agent, `encrypt({ signer: await agentSigner(c) })` signs through it. No secret
 * ever leaves the agent; only file keys (per envelope) and signatures come back.
 * @module
 */
import type { AsyncIdentity, AsyncSigner } from '@nqc/core';
import { parseVerifyingKey, type SignatureOptions, type Stanza } from '@nqc/pql';
import { fail } from '../errors.js';
import type { AgentKey, CustodyClient } from './client.js';

/**
 * An `@nqc/core` identity answered by the agent: tries every enabled encryption key the agent holds;
 * `null` ("not mine") when none opens a stanza.
 * @example
 * ```ts
 * const agent = await CustodyClient.connect(socketPath);
 * const { plaintext } = await decrypt(envelope, { identities: [agentIdentity(agent)] });
 * ```
 */
export function agentIdentity(client: CustodyClient): AsyncIdentity {
  return { unwrapFileKey: (stanzas: Stanza[]) => client.unwrapFileKey(stanzas) };
}

/** A signer held by the agent (see {@link agentSigner}). */
export type AgentSigner = AsyncSigner & {
  /** Key id (8 hex chars) of the agent's key. */
  readonly keyId: string;
};

const usable = (k: AgentKey) => k.purpose === 'sign' && (k.status === 'primary' || k.status === 'enabled');

/**
 * An `@nqc/core` signer answered by the agent. Its public key is read from the agent once, here.
 * @param keyId - the agent's signing key to use; default: its only signing key, or, when it holds
 *   several, its primary one
 * @throws {NqcAgentsError} ERR_AGENTS_KEY when the agent holds no such (usable) signing key;
 *   ERR_AGENTS_SOCKET / ERR_AGENTS_CLOSED when it cannot be reached
 * @example
 * ```ts
 * const env = await encrypt(bytes, { recipients, signer: await agentSigner(agent) });
 * ```
 */
export async function agentSigner(client: CustodyClient, keyId?: string): Promise<AgentSigner> {
  const keys = (await client.listKeys()).filter(usable);
  let key: AgentKey | undefined;
  if (keyId !== undefined) key = keys.find((k) => k.id === keyId);
  else key = keys.length === 1 ? keys[0] : keys.find((k) => k.status === 'primary');
  if (!key) {
    fail('ERR_AGENTS_KEY', keyId === undefined ? 'the custody agent holds no signing key' : `the custody agent holds no usable signing key ${keyId}`);
  }
  const vk = parseVerifyingKey(key.publicKey);
  const id = key.id;
  return {
    algorithm: vk.algorithm,
    publicKey: vk.publicKey,
    keyId: id,
    async sign(message: Uint8Array, options?: SignatureOptions): Promise<Uint8Array> {
      const r = await client.sign(message, { keyId: id, ...(options?.context !== undefined ? { context: options.context } : {}) });
      if (r.keyId !== id) fail('ERR_AGENTS_PROTOCOL', `the custody agent signed with ${r.keyId}, not ${id}`);
      return r.signature;
    },
  };
}
