/**
 * `@nqc/core/worker-client`: the main-thread side of `@nqc/core/worker`. Same contracts as
 * `encrypt` / `decrypt`, but the work runs in a Worker: the page stays responsive. Keys cross as
 * strings (structured clone cannot carry key objects); errors come back as the same classes and codes.
 * @module
 */
import { fail } from './errors.js';
import type { DecryptResult, DecryptStreamResult } from './envelope.js';
import type { EnvelopeInfo } from './info.js';
import type { SignerReport } from './keys.js';
import {
  fromWire,
  isNqcMessage,
  ownBuffer,
  type MessageEndpoint,
  type WorkerDecryptOptions,
  type WorkerEncryptOptions,
  type WorkerRequest,
  type WorkerResponse,
} from './worker-protocol.js';

export type { MessageEndpoint, WorkerDecryptOptions, WorkerEncryptOptions } from './worker-protocol.js';

/** Options of one call. */
export interface WorkerCallOptions {
  /**
   * Transfer the input's ArrayBuffer to the worker instead of copying it (bytes input): faster for
   * large inputs, but your `Uint8Array` is detached (length 0) afterwards. Only a view spanning its
   * whole buffer is transferred; others are copied. Default false.
   */
  readonly transfer?: boolean | undefined;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // rejections are delivered to whoever awaits; none is "unhandled"
  return { promise, resolve, reject };
}

type Handler = (m: WorkerResponse) => void;

const isStream = (x: unknown): x is ReadableStream<Uint8Array> => typeof (x as ReadableStream | null)?.getReader === 'function';

function checkKeys(v: unknown, what: string, optional = false): void {
  if (v === undefined && optional) return;
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every((k) => typeof k === 'string'))
    fail('ERR_CORE_INVALID_ARGUMENT', `"${what}": the worker takes keys as strings (key objects cannot be sent to a worker)`);
}

function checkNde(v: unknown): void {
  if (v !== undefined && v !== 'auto' && v !== 'wasm' && v !== 'reference' && v !== 'off')
    fail('ERR_CORE_INVALID_ARGUMENT', `"nde" in a worker expected 'auto', 'wasm', 'reference' or 'off', got ${String(v)}`);
}

/**
 * Runs `encrypt` / `decrypt` in a Worker that called `serveNqc(self)` (see `@nqc/core/worker`).
 * Calls may overlap; each has its own id. Bytes results arrive in transferred buffers (no copy).
 *
 * @example
 * ```ts
 * import { NqcWorkerClient } from '@nqc/core/worker-client';
 * const nqc = new NqcWorkerClient(new Worker(new URL('./nqc.worker.js', import.meta.url), { type: 'module' }));
 * const env = await nqc.encrypt(bytes, { recipients: [alice] });           // alice: 'nqc1...' string
 * const out = nqc.encrypt(file.stream(), { recipients: [alice] });         // a ReadableStream, constant memory
 * const { plaintext } = await nqc.decrypt(env, { identities: [aliceSecret] });
 * ```
 */
export class NqcWorkerClient {
  readonly #endpoint: MessageEndpoint;
  readonly #handlers = new Map<number, Handler>();
  readonly #listener = (ev: { readonly data: unknown }): void => {
    const m = ev.data;
    if (isNqcMessage(m) && 'kind' in m) this.#handlers.get(m.id)?.(m as WorkerResponse);
  };
  #nextId = 1;
  #closed = false;

  /** @param endpoint - a `Worker` running `serveNqc(self)`, or a `MessagePort` served by `serveNqc` */
  constructor(endpoint: MessageEndpoint) {
    this.#endpoint = endpoint;
    endpoint.addEventListener('message', this.#listener);
    endpoint.start?.();
  }

  /**
   * `encrypt` in the worker.
   * @param input - bytes (resolves to the envelope) or a `ReadableStream` (returns the envelope stream at once)
   * @param opts - keys as strings
   * @param call - `transfer` (bytes input)
   * @throws the errors `encrypt` throws (same classes and codes); `ERR_CORE_INVALID_ARGUMENT` for a key object
   */
  encrypt(input: Uint8Array, opts: WorkerEncryptOptions & { armor: true }, call?: WorkerCallOptions): Promise<string>;
  encrypt(input: Uint8Array, opts: WorkerEncryptOptions, call?: WorkerCallOptions): Promise<Uint8Array>;
  encrypt(input: ReadableStream<Uint8Array>, opts: WorkerEncryptOptions): ReadableStream<Uint8Array>;
  encrypt(input: Uint8Array | ReadableStream<Uint8Array>, opts: WorkerEncryptOptions, call: WorkerCallOptions = {}): Promise<Uint8Array | string> | ReadableStream<Uint8Array> {
    const check = (): void => {
      checkKeys(opts?.recipients, 'recipients');
      checkKeys(opts.signer, 'signer', true);
      checkNde(opts.nde);
    };
    if (isStream(input)) {
      check();
      const id = this.#send({ op: 'encrypt', input, opts }, [input]);
      return this.#stream(id);
    }
    const bytes = input;
    return (async () => {
      check();
      const id = this.#send(...this.#bytesRequest('encrypt', bytes, opts, call));
      return this.#await<Uint8Array | string>(id, (m, ok) => m.kind === 'bytes' && ok(m.value));
    })();
  }

  /**
   * `decrypt` in the worker.
   * @param input - an envelope (bytes or armored string), or a `ReadableStream` of one
   * @param opts - identities (and required signers) as strings
   * @param call - `transfer` (bytes input)
   * @returns as `decrypt`: a promise of the result for bytes, a `DecryptStreamResult` for a stream
   * @throws the errors `decrypt` throws (same classes and codes; one message for decryption failures)
   */
  decrypt(input: Uint8Array | string, opts: WorkerDecryptOptions, call?: WorkerCallOptions): Promise<DecryptResult>;
  decrypt(input: ReadableStream<Uint8Array>, opts: WorkerDecryptOptions): DecryptStreamResult;
  decrypt(input: Uint8Array | string | ReadableStream<Uint8Array>, opts: WorkerDecryptOptions, call: WorkerCallOptions = {}): Promise<DecryptResult> | DecryptStreamResult {
    const check = (): void => {
      checkKeys(opts?.identities, 'identities');
      checkKeys(opts.requireSigner, 'requireSigner', true);
      checkNde(opts.nde);
    };
    if (isStream(input)) {
      check();
      const info = deferred<EnvelopeInfo>();
      const done = deferred<{ readonly signer: SignerReport | undefined }>();
      const id = this.#send({ op: 'decrypt', input, opts }, [input]);
      const stream = this.#stream(id, (m) => {
        if (m.kind === 'info') info.resolve(m.info);
        if (m.kind === 'done') done.resolve({ signer: m.signer });
        if (m.kind === 'error') {
          const e = fromWire(m.error);
          info.reject(e);
          done.reject(e);
        }
        return m.kind === 'done' || m.kind === 'error';
      });
      return { stream, info: info.promise, done: done.promise };
    }
    const envelope = input;
    return (async () => {
      check();
      const id = this.#send(...this.#bytesRequest('decrypt', envelope, opts, call));
      return this.#await<DecryptResult>(id, (m, ok) => m.kind === 'plaintext' && ok({ plaintext: m.plaintext, signer: m.signer, info: m.info }));
    })();
  }

  /** Stops listening; calls still running reject with `ERR_CORE_INVALID_ARGUMENT`. The worker itself is yours to terminate. */
  close(): void {
    this.#closed = true;
    this.#endpoint.removeEventListener?.('message', this.#listener);
    for (const [id, h] of this.#handlers) h({ nqc: 1, id, kind: 'error', error: { name: 'NqcCoreError', code: 'ERR_CORE_INVALID_ARGUMENT', message: 'worker client closed' } });
    this.#handlers.clear();
  }

  #bytesRequest(op: 'encrypt' | 'decrypt', input: Uint8Array | string, opts: WorkerEncryptOptions | WorkerDecryptOptions, call: WorkerCallOptions): [Omit<WorkerRequest, 'nqc' | 'id'>, object[]] {
    if (typeof input !== 'string' && !(input instanceof Uint8Array)) fail('ERR_CORE_INVALID_ARGUMENT', `${op}: expected bytes, a string or a ReadableStream`);
    if (typeof input === 'string' || !call.transfer) return [{ op, input, opts } as Omit<WorkerRequest, 'nqc' | 'id'>, []];
    const own = ownBuffer(input);
    return [{ op, input: own, opts } as Omit<WorkerRequest, 'nqc' | 'id'>, [own.buffer]];
  }

  #send(req: Omit<WorkerRequest, 'nqc' | 'id'>, transfer: object[]): number {
    if (this.#closed) fail('ERR_CORE_INVALID_ARGUMENT', 'worker client closed');
    const id = this.#nextId++;
    this.#handlers.set(id, () => undefined);
    this.#endpoint.postMessage({ nqc: 1, id, ...req }, transfer);
    return id;
  }

  /** Resolves with what `pick` accepts, rejects on an error reply. */
  #await<T>(id: number, pick: (m: WorkerResponse, ok: (v: T) => true) => boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#handlers.set(id, (m) => {
        if (m.kind === 'error') {
          this.#handlers.delete(id);
          reject(fromWire(m.error));
          return;
        }
        pick(m, (v) => {
          this.#handlers.delete(id);
          resolve(v);
          return true;
        });
      });
    });
  }

  /**
   * The output stream of call `id`, returned at once. `extra` sees every reply and returns true when
   * the call is over (decryption: `done` or `error`); without it the call is over with its stream
   * (encryption). A failing stream errors with the typed error.
   */
  #stream(id: number, extra?: (m: WorkerResponse) => boolean): ReadableStream<Uint8Array> {
    const remote = deferred<ReadableStream<Uint8Array>>();
    const failure = deferred<Error>();
    let streamOver = false;
    let callOver = extra === undefined;
    const finish = (): void => {
      if (streamOver && callOver) this.#handlers.delete(id);
    };
    this.#handlers.set(id, (m) => {
      if (m.kind === 'stream') remote.resolve(m.stream);
      if (m.kind === 'error') {
        const e = fromWire(m.error);
        failure.resolve(e);
        remote.reject(e);
      }
      if (extra?.(m)) callOver = true;
      finish();
    });
    const end = (): void => {
      streamOver = true;
      finish();
    };
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        try {
          reader ??= (await remote.promise).getReader();
          const r = await reader.read();
          if (!r.done) return c.enqueue(r.value);
          c.close();
          end();
        } catch (e) {
          // The typed error is posted beside the stream; wait briefly for it, else keep the stream's own.
          let timer: ReturnType<typeof setTimeout> | undefined;
          const typed = await Promise.race([failure.promise, new Promise<unknown>((res) => (timer = setTimeout(() => res(e), 2000)))]);
          clearTimeout(timer);
          c.error(typed);
          end();
        }
      },
      async cancel(reason) {
        end();
        await (reader ?? (await remote.promise)).cancel(reason);
      },
    });
  }
}
