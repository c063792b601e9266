/**
 * The custody agent's client: asks a running `nqc-agent` to sign, unwrap a file key, decapsulate or
 * list its public keys, over its Unix domain socket.
 * @module
 */
import { connect, type Socket } from 'node:net';
import type { KeyInfo, Stanza } from '@nqc/pql';
import { fail, NqcAgentsError, type AgentsErrorCode } from '../errors.js';
import { encodeFrame, FrameDecoder, fromBase64, MAX_BODY_BYTES, parseJsonObject, toBase64 } from './protocol.js';

/** Options of {@link CustodyClient.connect}. */
export type CustodyClientOptions = {
  /** Milliseconds to wait for each answer (default 30,000). */
  timeoutMs?: number;
};

/** A key as the agent lists it: public metadata only. */
export type AgentKey = Omit<KeyInfo, 'hasSecret'>;

type Pending = { resolve(v: Record<string, unknown>): void; reject(e: unknown): void; timer: ReturnType<typeof setTimeout> };

const CODES = new Set<string>([
  'ERR_AGENTS_TASK_FAILED',
  'ERR_AGENTS_KEY',
  'ERR_AGENTS_INVALID_INPUT',
  'ERR_AGENTS_PROTOCOL',
  'ERR_AGENTS_UNKNOWN_OPERATION',
]);

/**
 * A connection to a custody agent. Requests may be sent concurrently; answers are matched by id.
 * @example
 * ```ts
 * const agent = await CustodyClient.connect('/run/user/1000/nqc/agent.sock');
 * const { signature, keyId } = await agent.sign(message);
 * const fileKey = await agent.unwrapFileKey(stanzas);   // Uint8Array or null
 * agent.close();
 * ```
 */
export class CustodyClient {
  readonly #socket: Socket;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #closed = false;

  private constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of decoder.push(chunk)) this.#onFrame(parseJsonObject(f));
      } catch (e) {
        this.#failAll(e);
        socket.destroy();
      }
    });
    socket.on('close', () => this.#failAll(new NqcAgentsError('ERR_AGENTS_SOCKET', 'the custody agent closed the connection')));
    socket.on('error', () => undefined); // 'close' follows and rejects what is pending
  }

  /**
   * Connects to the agent's socket.
   * @throws {NqcAgentsError} ERR_AGENTS_SOCKET when nothing listens there
   */
  static connect(socketPath: string, options: CustodyClientOptions = {}): Promise<CustodyClient> {
    return new Promise((resolve, reject) => {
      const s = connect(socketPath);
      s.once('connect', () => {
        s.removeAllListeners('error');
        resolve(new CustodyClient(s, options.timeoutMs ?? 30_000));
      });
      s.once('error', (e) => reject(new NqcAgentsError('ERR_AGENTS_SOCKET', `cannot reach the custody agent at ${socketPath}`, { cause: e })));
    });
  }

  #onFrame(doc: Record<string, unknown>): void {
    const p = typeof doc.id === 'number' ? this.#pending.get(doc.id) : undefined;
    if (!p) {
      // An error for an unreadable request (id null) ends the connection on the agent's side.
      if (doc.id === null) this.#failAll(this.#error(doc));
      return;
    }
    this.#pending.delete(doc.id as number);
    clearTimeout(p.timer);
    if (doc.ok === true && typeof doc.result === 'object' && doc.result !== null) p.resolve(doc.result as Record<string, unknown>);
    else p.reject(this.#error(doc));
  }

  #error(doc: Record<string, unknown>): NqcAgentsError {
    const e = (doc.error ?? {}) as { code?: unknown; message?: unknown; reason?: unknown };
    const code = typeof e.code === 'string' && CODES.has(e.code) ? (e.code as AgentsErrorCode) : 'ERR_AGENTS_PROTOCOL';
    const message = typeof e.message === 'string' ? e.message.slice(0, 500) : 'malformed answer from the custody agent';
    return new NqcAgentsError(code, message, typeof e.reason === 'string' ? { reason: e.reason.slice(0, 64) } : undefined);
  }

  #failAll(e: unknown): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.#pending.clear();
  }

  #request(op: string, fields: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.#closed || this.#socket.destroyed) return Promise.reject(new NqcAgentsError('ERR_AGENTS_CLOSED', 'the client is closed'));
    const id = this.#next;
    this.#next = (this.#next + 1) % 2 ** 31;
    const frame = encodeFrame({ v: 1, id, op, ...fields });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new NqcAgentsError('ERR_AGENTS_TIMEOUT', `the custody agent did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.write(frame);
    });
  }

  /** Public metadata of the agent's keys. */
  async listKeys(): Promise<AgentKey[]> {
    const r = await this.#request('list', {});
    if (!Array.isArray(r.keys)) fail('ERR_AGENTS_PROTOCOL', 'malformed list answer');
    return r.keys as AgentKey[];
  }

  /**
   * Signs with the agent's key `keyId` (default: its primary signing key) under `context`
   * (default `nqc/v1/sig`, as @nqc/pql).
   * @throws {NqcAgentsError} ERR_AGENTS_KEY, ERR_AGENTS_PROTOCOL (message over 512 KiB), ERR_AGENTS_TASK_FAILED
   */
  async sign(message: Uint8Array, options: { keyId?: string; context?: Uint8Array } = {}): Promise<{ keyId: string; algorithm: string; signature: Uint8Array }> {
    const r = await this.#request('sign', {
      message: toBase64(message),
      ...(options.keyId !== undefined ? { keyId: options.keyId } : {}),
      ...(options.context !== undefined ? { context: toBase64(options.context) } : {}),
    });
    if (typeof r.keyId !== 'string' || typeof r.algorithm !== 'string') fail('ERR_AGENTS_PROTOCOL', 'malformed sign answer');
    return { keyId: r.keyId, algorithm: r.algorithm, signature: fromBase64('signature', r.signature, 64 << 10) };
  }

  /**
   * Unwraps an envelope's file key with the agent's enabled encryption keys.
   * @returns the 32-byte file key, or `null` when no stanza is for the agent's keys
   * @throws {NqcAgentsError} ERR_AGENTS_TASK_FAILED (`reason` ERR_PQL_STANZA_MALFORMED), ERR_AGENTS_PROTOCOL
   */
  async unwrapFileKey(stanzas: readonly Stanza[]): Promise<Uint8Array | null> {
    const r = await this.#request('unwrap', { stanzas: stanzas.map((s) => ({ type: s.type, args: s.args, body: toBase64(s.body) })) });
    return r.fileKey === null ? null : fromBase64('fileKey', r.fileKey, 32);
  }

  /**
   * Raw KEM decapsulation with the agent's key `keyId` (default: its primary encryption key).
   * @throws {NqcAgentsError} ERR_AGENTS_KEY, ERR_AGENTS_INVALID_INPUT (ciphertext length)
   */
  async decapsulate(cipherText: Uint8Array, options: { keyId?: string } = {}): Promise<{ keyId: string; sharedSecret: Uint8Array }> {
    const r = await this.#request('decapsulate', { cipherText: toBase64(cipherText), ...(options.keyId !== undefined ? { keyId: options.keyId } : {}) });
    if (typeof r.keyId !== 'string') fail('ERR_AGENTS_PROTOCOL', 'malformed decapsulate answer');
    return { keyId: r.keyId, sharedSecret: fromBase64('sharedSecret', r.sharedSecret, MAX_BODY_BYTES) };
  }

  /** Closes the connection; pending requests reject. */
  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }
}
