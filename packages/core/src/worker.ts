/**
 * `@nqc/core/worker`: the worker side of {@link import('./worker-client.js').NqcWorkerClient}. Runs
 * `encrypt` / `decrypt` of the browser entry off the main thread, so a large input (the NDE layer
 * costs seconds per 16 MiB) never freezes the page. Bytes come back in transferred buffers; streams
 * stay streams (transferred `ReadableStream`s, constant memory). A worker file is two lines:
 *
 * ```ts
 * // nqc.worker.js, started with new Worker(new URL('./nqc.worker.js', import.meta.url), { type: 'module' })
 * import { serveNqc } from '@nqc/core/worker';
 * serveNqc(self);
 * ```
 * @module
 */
import { decrypt, encrypt } from './index.js';
import { isNqcMessage, ownBuffer, toWire, type MessageEndpoint, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

export type { MessageEndpoint, WireError, WorkerDecryptOptions, WorkerEncryptOptions, WorkerRequest, WorkerResponse } from './worker-protocol.js';

type Reply = WorkerResponse extends infer R ? (R extends { kind: infer K } ? Omit<Extract<WorkerResponse, { kind: K }>, 'nqc' | 'id'> : never) : never;

/**
 * Answers the requests of an {@link import('./worker-client.js').NqcWorkerClient} on `scope` (the
 * worker's `self`, or one end of a `MessageChannel`). Messages that are not nqc requests are ignored,
 * so the worker may serve other protocols beside.
 *
 * @param scope - where requests arrive and replies go
 * @example
 * ```ts
 * import { serveNqc } from '@nqc/core/worker';
 * serveNqc(self);
 * ```
 */
export function serveNqc(scope: MessageEndpoint): void {
  scope.addEventListener('message', (ev) => {
    const m = ev.data;
    if (isNqcMessage(m) && 'op' in m) void handle(scope, m as WorkerRequest);
  });
  scope.start?.();
}

const isStream = (x: unknown): x is ReadableStream<Uint8Array> => typeof (x as ReadableStream | null)?.getReader === 'function';

async function handle(scope: MessageEndpoint, req: WorkerRequest): Promise<void> {
  const post = (msg: Reply, transfer: object[] = []): void => scope.postMessage({ nqc: 1, id: req.id, ...msg }, transfer);
  const postError = (e: unknown): void => post({ kind: 'error', error: toWire(e) });
  try {
    if (req.op === 'encrypt') {
      if (isStream(req.input)) {
        const out = relay(encrypt(req.input, req.opts), postError);
        post({ kind: 'stream', stream: out }, [out]);
        return;
      }
      const env = await encrypt(req.input, req.opts);
      if (typeof env === 'string') return post({ kind: 'bytes', value: env });
      const own = ownBuffer(env);
      return post({ kind: 'bytes', value: own }, [own.buffer]);
    }
    if (isStream(req.input)) {
      const r = decrypt(req.input, req.opts);
      // `done` rejects when the stream fails: the error is posted once, from here.
      const out = relay(r.stream, () => undefined);
      post({ kind: 'stream', stream: out }, [out]);
      r.info.then((info) => post({ kind: 'info', info }), () => undefined);
      r.done.then((d) => post({ kind: 'done', signer: d.signer }), postError);
      return;
    }
    const r = await decrypt(req.input, req.opts);
    const own = ownBuffer(r.plaintext);
    post({ kind: 'plaintext', plaintext: own, signer: r.signer, info: r.info }, [own.buffer]);
  } catch (e) {
    postError(e);
  }
}

/** A stream to transfer: reads `src`, and on failure reports the typed error before erroring. */
function relay(src: ReadableStream<Uint8Array>, onError: (e: unknown) => void): ReadableStream<Uint8Array> {
  const reader = src.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      } catch (e) {
        onError(e);
        c.error(new Error('nqc worker: stream failed'));
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
