/**
 * The built-in agents, each a {@link TaskPool} of one task class:
 * `pq` (post-quantum KEM and signatures), `he` (SEAL evaluation), `bulk` (whole envelopes).
 * @module
 */
import { parseRecipient, type Stanza } from '@nqc/pql';
import type { Agent, TaskContext } from './agent.js';
import { fail } from './errors.js';
import { TaskPool, type PoolOptions, type PoolStatus } from './pool.js';

/** Operations of the built-in agents: input and output types, by operation name. */
export interface Operations {
  /** Signs with a key of the store (default: the primary signing key). */
  sign: { input: { message: Uint8Array; keyId?: string; context?: Uint8Array }; output: { keyId: string; algorithm: string; signature: Uint8Array } };
  /** Verifies with a key of the store (`keyId`) or a verifying-key string (`publicKey`). */
  verify: { input: { message: Uint8Array; signature: Uint8Array; keyId?: string; publicKey?: string; context?: Uint8Array }; output: boolean };
  /** Wraps a file key to recipient strings (default: the store's primary encryption key). */
  wrapFileKey: { input: { fileKey: Uint8Array; recipients?: string[] }; output: Stanza[] };
  /** Unwraps a file key with the store's usable encryption keys; `null` when none matches. */
  unwrapFileKey: { input: { stanzas: Stanza[] }; output: Uint8Array | null };
  /** Raw KEM encapsulation to a recipient string, or to a store key by id (default: the primary). */
  encapsulate: { input: { recipient?: string; keyId?: string }; output: { cipherText: Uint8Array; sharedSecret: Uint8Array } };
  /** Raw KEM decapsulation with a store key (default: the primary encryption key). */
  decapsulate: { input: { cipherText: Uint8Array; keyId?: string }; output: Uint8Array };
  /** Encrypted sum of one field (`@nqc/she` `HeEvaluator.sum`); encoded result ciphertext. */
  'he.sum': { input: HeTaskInput; output: Uint8Array };
  /** Encrypted mean's sum part (`HeEvaluator.mean`); the owner divides by the count. */
  'he.mean': { input: HeTaskInput; output: Uint8Array };
  /** Number of encrypted values (`HeEvaluator.count`). */
  'he.count': { input: HeTaskInput; output: number };
  /** Encrypts a whole envelope (`@nqc/core/node` `encrypt`); default recipient: the primary encryption key. */
  'envelope.encrypt': { input: { plaintext: Uint8Array; recipients?: string[]; sign?: boolean | string; nde?: 'auto' | 'off' | 'onnx' | 'reference' }; output: Uint8Array };
  /** Decrypts a whole envelope with the store's usable encryption keys. */
  'envelope.decrypt': { input: { envelope: Uint8Array; nde?: 'auto' | 'off' | 'onnx' | 'reference' }; output: Uint8Array };
}

/** Input of the `he.*` operations. */
export type HeTaskInput = {
  /** Encoded `EvaluationBundle` (public keys only; a secret key set is refused). */
  bundle: Uint8Array;
  /** Encoded ciphertexts (`encodeCiphertext`). */
  inputs: Uint8Array[];
  /** Field path. */
  path: string;
};

const worker = (name: string): URL => new URL(`./workers/${name}.js`, import.meta.url);

/** Base of the built-in agents: capability name → worker function name. */
abstract class PoolAgent implements Agent {
  /** Agent (and pool) name. */
  readonly name: string;
  /** Operations this agent performs. */
  readonly capabilities: readonly string[];
  /** The agent's worker pool. */
  protected readonly pool: TaskPool;

  protected constructor(name: string, ops: readonly string[], options: PoolOptions) {
    this.name = name;
    this.capabilities = Object.freeze([...ops]);
    this.pool = new TaskPool(name, worker(name), options);
  }

  /** Performs one of the agent's operations. */
  abstract perform(op: string, input: unknown, context: TaskContext): Promise<unknown>;

  /** Runs worker function `fn` with the task's signal and timeout. */
  protected run<T>(fn: string, input: unknown, context: TaskContext): Promise<T> {
    return this.pool.run<T>(fn, input, { signal: context.signal, timeoutMs: context.timeoutMs });
  }

  /** The pool's live numbers. */
  status(): PoolStatus {
    return this.pool.status();
  }

  /** Stops the pool. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

const obj = (input: unknown): Record<string, unknown> => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('ERR_AGENTS_INVALID_INPUT', 'the task input must be an object');
  return input as Record<string, unknown>;
};
const optString = (o: Record<string, unknown>, k: string): string | undefined => {
  const v = o[k];
  if (v !== undefined && typeof v !== 'string') fail('ERR_AGENTS_INVALID_INPUT', `"${k}" must be a string`);
  return v;
};

/** The `pq` agent: ML-DSA / SLH-DSA / Falcon signatures, KEM encapsulation, file-key wrap and unwrap. */
export class PqAgent extends PoolAgent {
  /** @param options - pool sizes and timeouts */
  constructor(options: PoolOptions = {}) {
    super('pq', ['sign', 'verify', 'wrapFileKey', 'unwrapFileKey', 'encapsulate', 'decapsulate'], options);
  }

  /** Performs one of the `pq` operations (see {@link Operations}). */
  async perform(op: string, input: unknown, ctx: TaskContext): Promise<unknown> {
    const o = obj(input);
    switch (op) {
      case 'sign': {
        const { info, text } = ctx.keys._secretString('sign', optString(o, 'keyId'));
        const signature = await this.run<Uint8Array>('sign', { secretKey: text, message: o.message, context: o.context }, ctx);
        return { keyId: info.id, algorithm: info.algorithm, signature };
      }
      case 'verify': {
        const keyId = optString(o, 'keyId');
        const given = optString(o, 'publicKey');
        if ((keyId === undefined) === (given === undefined)) fail('ERR_AGENTS_INVALID_INPUT', 'verify needs exactly one of "keyId" and "publicKey"');
        const publicKey = given ?? ctx.keys._usable('sign', keyId).info.publicKey;
        return this.run('verify', { publicKey, message: o.message, signature: o.signature, context: o.context }, ctx);
      }
      case 'wrapFileKey': {
        const recipients = o.recipients ?? [ctx.keys._usable('encrypt').info.publicKey];
        return this.run('wrapFileKey', { recipients, fileKey: o.fileKey }, ctx);
      }
      case 'unwrapFileKey': {
        const identities = ctx.keys._unwrapIdentities().map((k) => k.toString());
        if (identities.length === 0) fail('ERR_AGENTS_KEY', 'no usable encryption key');
        return this.run('unwrapFileKey', { identities, stanzas: o.stanzas }, ctx);
      }
      case 'encapsulate': {
        const recipient = optString(o, 'recipient') ?? ctx.keys._usable('encrypt', optString(o, 'keyId')).info.publicKey;
        parseRecipient(recipient); // a bad string fails here, with pql's precise message
        return this.run('encapsulate', { recipient }, ctx);
      }
      case 'decapsulate': {
        const { text } = ctx.keys._secretString('encrypt', optString(o, 'keyId'));
        return this.run('decapsulate', { secretKey: text, cipherText: o.cipherText }, ctx);
      }
      default:
        fail('ERR_AGENTS_UNKNOWN_OPERATION', `agent pq does not perform ${JSON.stringify(op)}`);
    }
  }
}

const HE_OPS: Readonly<Record<string, string>> = { 'he.sum': 'heSum', 'he.mean': 'heMean', 'he.count': 'heCount' };

/** The `he` agent: SEAL evaluation with an evaluation bundle, in warm workers (SEAL loaded once per worker). */
export class HeAgent extends PoolAgent {
  /** @param options - pool sizes and timeouts (HE tasks are slow: give a generous `taskTimeoutMs`) */
  constructor(options: PoolOptions = {}) {
    super('he', Object.keys(HE_OPS), { taskTimeoutMs: 120_000, ...options });
  }

  /** Performs one of the `he.*` operations (see {@link Operations}). */
  async perform(op: string, input: unknown, ctx: TaskContext): Promise<unknown> {
    const fn = HE_OPS[op];
    if (fn === undefined) fail('ERR_AGENTS_UNKNOWN_OPERATION', `agent he does not perform ${JSON.stringify(op)}`);
    const o = obj(input);
    return this.run(fn, { bundle: o.bundle, inputs: o.inputs, path: o.path }, ctx);
  }
}

/** The `bulk` agent: whole envelopes (payload, NDE layer) encrypted and decrypted off the main thread. */
export class BulkAgent extends PoolAgent {
  /** @param options - pool sizes and timeouts */
  constructor(options: PoolOptions = {}) {
    super('bulk', ['envelope.encrypt', 'envelope.decrypt'], options);
  }

  /** Performs `envelope.encrypt` or `envelope.decrypt` (see {@link Operations}). */
  async perform(op: string, input: unknown, ctx: TaskContext): Promise<unknown> {
    const o = obj(input);
    if (op === 'envelope.encrypt') {
      const recipients = o.recipients ?? [ctx.keys._usable('encrypt').info.publicKey];
      const sign = o.sign;
      if (sign !== undefined && typeof sign !== 'boolean' && typeof sign !== 'string') fail('ERR_AGENTS_INVALID_INPUT', '"sign" must be a boolean or a key id');
      const signer = sign === true ? ctx.keys._signer().toString() : typeof sign === 'string' ? ctx.keys._signer(sign).toString() : undefined;
      return this.run('envelopeEncrypt', { plaintext: o.plaintext, recipients, signer, nde: o.nde }, ctx);
    }
    if (op === 'envelope.decrypt') {
      const identities = ctx.keys._unwrapIdentities().map((k) => k.toString());
      if (identities.length === 0) fail('ERR_AGENTS_KEY', 'no usable encryption key');
      return this.run('envelopeDecrypt', { envelope: o.envelope, identities, nde: o.nde }, ctx);
    }
    fail('ERR_AGENTS_UNKNOWN_OPERATION', `agent bulk does not perform ${JSON.stringify(op)}`);
  }
}
