/**
 * The channel over WebSocket, subprotocol `nqc.v1` (browsers cannot set headers on a WebSocket, so
 * everything rides in binary messages). Works with any WebSocket-like object: the browser's, or `ws`
 * on either side.
 *
 * 1. Client -> server, first message: an RFC 9458-shaped encapsulated request under the label
 *    `nqc/v1/ws request` (never confused with an HTTP one), carrying a binary HTTP GET of the socket
 *    URL with `nqc-created` and, with a signing key, the client signature bound to this context.
 * 2. Server -> client, first message: the encapsulated response (label `nqc/v1/ws response`),
 *    status 200 with the `nqc-channel` status field, or 401/400 followed by a close.
 * 3. Then every message, both ways, is one AEAD ciphertext (the suite's AEAD, ChaCha20-Poly1305 by
 *    default) of `type (1 byte) || data`, type 0 binary, 1 text, 2 close. Keys are HPKE exports,
 *    one per direction (`nqc/v1/ws c2s`, `nqc/v1/ws s2c`); the nonce is the message counter, which
 *    the receiver expects exactly, so reordering, replay, drops and gaps all fail the AEAD and close
 *    the socket. Every {@link SocketOptions.rekeyAfterMessages} messages each direction's key is
 *    ratcheted (`key' = HKDF-Expand(key, "nqc/v1/ws rekey", Nk)`, counter reset), so old keys can be
 *    forgotten. A peer that closes without a sealed close message is reported as truncated.
 *
 * Close codes: 4400 protocol or decryption failure (one code for all), 4401 authentication failed,
 * 4408 handshake timeout or lifetime reached, 1000 sealed close.
 * @module
 */
import type { AEAD, KDF } from 'hpke';
import { _concat, _fromUtf8, _utf8 } from './_bytes.js';
import type { ChannelClient } from './client.js';
import { decodeResponse } from './bhttp.js';
import { NqcChannelError } from './errors.js';
import type { ChannelRequest, Gateway } from './gateway.js';
import { decapsulateResponse, type RequestContext } from './ohttp.js';
import { _symmetric } from './suite.js';

/** The WebSocket subprotocol. */
export const SOCKET_PROTOCOL = 'nqc.v1';
/** HPKE info label of the WebSocket handshake. */
export const SOCKET_REQUEST_LABEL = 'nqc/v1/ws request';
/** Exporter label of the WebSocket handshake reply. */
export const SOCKET_RESPONSE_LABEL = 'nqc/v1/ws response';
/** Close codes. */
export const SOCKET_CLOSE = Object.freeze({ normal: 1000, protocol: 4400, auth: 4401, timeout: 4408 });

const LABELS = { request: SOCKET_REQUEST_LABEL, response: SOCKET_RESPONSE_LABEL };
const TYPE_BINARY = 0;
const TYPE_TEXT = 1;
const TYPE_CLOSE = 2;

/** The subset of the WebSocket API used (the browser's and `ws`'s both fit). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'open' | 'error', listener: (event: unknown) => void): void;
}

/** Limits of a socket. */
export type SocketOptions = {
  /** Time allowed for the handshake, ms (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Lifetime of the channel, ms (default 1 h); then it closes with 4408 and the client reconnects (a fresh encapsulation). */
  maxLifetimeMs?: number;
  /** Ratchet each direction's key after this many messages (default 2^16). */
  rekeyAfterMessages?: number;
  /** Largest message accepted, bytes (default 1 MiB). */
  maxMessageLength?: number;
};

/** How a socket ended. */
export type SocketClose = {
  /** WebSocket close code. */
  code: number;
  /** True only when the peer sent a sealed close message first (no truncation). */
  clean: boolean;
};

function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return Uint8Array.from(data);
  return undefined;
}

type Direction = { key: Uint8Array; counter: number };

// One message listener for the socket's whole life: the first message is the handshake; later ones
// are held until the channel object attaches, so none is lost while the handshake is finishing.
type Inbox = { first: Promise<Uint8Array | undefined>; attach(sink: (data: unknown) => void): void };

function inbox(ws: WebSocketLike, timeoutMs: number, onTimeout: () => void): Inbox {
  let got = false;
  let sink: ((data: unknown) => void) | undefined;
  const early: unknown[] = [];
  let resolveFirst!: (b: Uint8Array | undefined) => void;
  const first = new Promise<Uint8Array | undefined>((r) => (resolveFirst = r));
  const t = setTimeout(() => {
    onTimeout();
    resolveFirst(undefined);
  }, timeoutMs);
  ws.addEventListener('message', (ev) => {
    if (!got) {
      got = true;
      clearTimeout(t);
      const b = bytesOf(ev.data);
      if (!b) ws.close(SOCKET_CLOSE.protocol);
      resolveFirst(b);
    } else if (sink) sink(ev.data);
    else early.push(ev.data);
  });
  ws.addEventListener('close', () => {
    clearTimeout(t);
    resolveFirst(undefined);
  });
  return {
    first,
    attach(fn) {
      sink = fn;
      for (const d of early.splice(0)) fn(d);
    },
  };
}

/**
 * One end of an established channel socket. Messages are delivered in order through `onmessage`,
 * or pulled with {@link ChannelSocket.next}.
 */
export class ChannelSocket {
  /** The authenticated client (server side), if any. */
  readonly request: ChannelRequest | undefined;
  /** Called with each message (string for text, Uint8Array for binary). */
  onmessage: ((data: string | Uint8Array) => void) | undefined;
  /** Called once when the socket ends. */
  onclose: ((info: SocketClose) => void) | undefined;
  readonly #ws: WebSocketLike;
  readonly #aead: Readonly<AEAD>;
  readonly #kdf: Readonly<KDF>;
  readonly #send: Direction;
  readonly #recv: Direction;
  readonly #rekey: number;
  readonly #max: number;
  #chain: Promise<void> = Promise.resolve();
  #outChain: Promise<void> = Promise.resolve();
  #closed: SocketClose | undefined;
  #peerClosed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #queue: (string | Uint8Array)[] = [];
  readonly #waiters: { resolve: (v: string | Uint8Array) => void; reject: (e: unknown) => void }[] = [];

  private constructor(ws: WebSocketLike, context: RequestContext, keys: { send: Uint8Array; recv: Uint8Array }, options: SocketOptions, inbox: Inbox, request?: ChannelRequest) {
    this.#ws = ws;
    this.request = request;
    const { aead, kdf } = _symmetric(context.suite);
    this.#aead = aead;
    this.#kdf = kdf;
    this.#send = { key: keys.send, counter: 0 };
    this.#recv = { key: keys.recv, counter: 0 };
    this.#rekey = options.rekeyAfterMessages ?? 2 ** 16;
    this.#max = options.maxMessageLength ?? 1 << 20;
    inbox.attach((data) => {
      const b = bytesOf(data);
      this.#chain = this.#chain.then(() => (b ? this.#receive(b) : this.#fail(SOCKET_CLOSE.protocol)));
    });
    ws.addEventListener('close', (ev) => this.#ended(ev.code));
    this.#timer = setTimeout(() => this.#fail(SOCKET_CLOSE.timeout), options.maxLifetimeMs ?? 3600e3);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  static async #keys(context: RequestContext): Promise<{ c2s: Uint8Array; s2c: Uint8Array }> {
    const { aead } = _symmetric(context.suite);
    return {
      c2s: await context._hpke.Export(_utf8('nqc/v1/ws c2s'), aead.Nk),
      s2c: await context._hpke.Export(_utf8('nqc/v1/ws s2c'), aead.Nk),
    };
  }

  /**
   * Client side: opens `url` with subprotocol `nqc.v1` and runs the handshake.
   * @param WebSocketCtor - the WebSocket constructor (`globalThis.WebSocket` in browsers, `ws` in Node)
   * @throws {NqcChannelError} ERR_CHANNEL_AUTH (refused with 401), ERR_CHANNEL_PROTOCOL, ERR_CHANNEL_DECRYPT_FAILED
   */
  static async connect(client: ChannelClient, url: string, WebSocketCtor: new (url: string, protocols: string) => WebSocketLike, options: SocketOptions = {}): Promise<ChannelSocket> {
    const { body, context } = await client._encapsulate(url, {}, SOCKET_REQUEST_LABEL);
    const ws = new WebSocketCtor(url, SOCKET_PROTOCOL);
    ws.binaryType = 'arraybuffer';
    let why = 'websocket closed during the handshake';
    const box = inbox(ws, options.handshakeTimeoutMs ?? 10_000, () => {
      why = 'websocket handshake timed out';
      ws.close(SOCKET_CLOSE.timeout);
    });
    ws.addEventListener('error', () => undefined);
    ws.addEventListener('open', () => {
      if (ws.protocol !== SOCKET_PROTOCOL) {
        why = `server did not accept subprotocol ${SOCKET_PROTOCOL}`;
        return ws.close(SOCKET_CLOSE.protocol);
      }
      ws.send(body);
    });
    const first = await box.first;
    if (!first) throw new NqcChannelError('ERR_CHANNEL_PROTOCOL', why);
    const reply = decodeResponse(await decapsulateResponse(context, first, 64 * 1024, { label: SOCKET_RESPONSE_LABEL }));
    if (reply.status !== 200) {
      ws.close(reply.status === 401 ? SOCKET_CLOSE.auth : SOCKET_CLOSE.protocol);
      throw new NqcChannelError(reply.status === 401 ? 'ERR_CHANNEL_AUTH' : 'ERR_CHANNEL_PROTOCOL', `websocket channel refused with ${reply.status}`);
    }
    const k = await ChannelSocket.#keys(context);
    return new ChannelSocket(ws, context, { send: k.c2s, recv: k.s2c }, options, box);
  }

  /**
   * Server side: runs the handshake on an accepted socket (subprotocol `nqc.v1`). Resolves to the
   * channel, or to undefined after closing the socket when the handshake failed (4400/4401/4408).
   */
  static async accept(gateway: Gateway, ws: WebSocketLike, options: SocketOptions = {}): Promise<ChannelSocket | undefined> {
    ws.binaryType = 'arraybuffer';
    if (ws.protocol !== SOCKET_PROTOCOL) {
      ws.close(SOCKET_CLOSE.protocol);
      return undefined;
    }
    const box = inbox(ws, options.handshakeTimeoutMs ?? 10_000, () => ws.close(SOCKET_CLOSE.timeout));
    const first = await box.first;
    if (!first) return undefined;
    const r = await gateway._openSocket(first, LABELS);
    if (!r.context || !r.request) {
      if (r.reply) ws.send(r.reply);
      ws.close(r.status === 401 ? SOCKET_CLOSE.auth : SOCKET_CLOSE.protocol);
      return undefined;
    }
    const k = await ChannelSocket.#keys(r.context);
    const socket = new ChannelSocket(ws, r.context, { send: k.s2c, recv: k.c2s }, options, box, r.request);
    ws.send(r.reply!);
    return socket;
  }

  #nonce(counter: number): Uint8Array {
    const n = new Uint8Array(this.#aead.Nn);
    new DataView(n.buffer).setBigUint64(n.length - 8, BigInt(counter));
    return n;
  }

  async #advance(d: Direction): Promise<void> {
    d.counter++;
    if (d.counter === this.#rekey) {
      const old = d.key;
      d.key = await this.#kdf.Expand(old, _utf8('nqc/v1/ws rekey'), this.#aead.Nk);
      old.fill(0);
      d.counter = 0;
    }
  }

  async #seal(type: number, data: Uint8Array): Promise<Uint8Array> {
    const ct = await this.#aead.Seal(this.#send.key, this.#nonce(this.#send.counter), new Uint8Array(0), _concat(Uint8Array.of(type), data));
    await this.#advance(this.#send);
    return ct;
  }

  /**
   * Sends one message (text or binary), sealed.
   * @throws {NqcChannelError} ERR_CHANNEL_PROTOCOL when the socket is closed; ERR_CHANNEL_LIMIT when too long
   */
  send(data: string | Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new NqcChannelError('ERR_CHANNEL_PROTOCOL', 'the socket is closed'));
    const bytes = typeof data === 'string' ? _utf8(data) : data;
    if (bytes.length + 1 + this.#aead.Nt > this.#max) return Promise.reject(new NqcChannelError('ERR_CHANNEL_LIMIT', `message exceeds ${this.#max} bytes`));
    const type = typeof data === 'string' ? TYPE_TEXT : TYPE_BINARY;
    const p = this.#outChain.then(async () => this.#ws.send(await this.#seal(type, bytes)));
    this.#outChain = p.catch(() => undefined);
    return p;
  }

  /** Sends a sealed close message, then closes with 1000. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#outChain;
    try {
      this.#ws.send(await this.#seal(TYPE_CLOSE, new Uint8Array(0)));
    } finally {
      this.#finish({ code: SOCKET_CLOSE.normal, clean: this.#peerClosed });
      this.#ws.close(SOCKET_CLOSE.normal);
    }
  }

  /** The next message; rejects when the socket ends first. */
  next(): Promise<string | Uint8Array> {
    const m = this.#queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.#closed) return Promise.reject(new NqcChannelError('ERR_CHANNEL_PROTOCOL', `the socket closed (${this.#closed.code})`));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  async #receive(ct: Uint8Array): Promise<void> {
    if (this.#closed) return;
    if (ct.length > this.#max) return this.#fail(SOCKET_CLOSE.protocol);
    let pt: Uint8Array;
    try {
      pt = await this.#aead.Open(this.#recv.key, this.#nonce(this.#recv.counter), new Uint8Array(0), ct);
    } catch {
      return this.#fail(SOCKET_CLOSE.protocol); // reordered, replayed, dropped, forged: one outcome
    }
    await this.#advance(this.#recv);
    const type = pt[0];
    const data = pt.subarray(1);
    if (type === TYPE_CLOSE && data.length === 0) {
      this.#peerClosed = true;
      this.#finish({ code: SOCKET_CLOSE.normal, clean: true });
      this.#ws.close(SOCKET_CLOSE.normal);
      return;
    }
    let msg: string | Uint8Array;
    if (type === TYPE_BINARY) msg = Uint8Array.from(data);
    else if (type === TYPE_TEXT) {
      try {
        msg = _fromUtf8(data, 'text message');
      } catch {
        return this.#fail(SOCKET_CLOSE.protocol);
      }
    } else return this.#fail(SOCKET_CLOSE.protocol);
    const w = this.#waiters.shift();
    if (w) w.resolve(msg);
    else if (this.onmessage) this.onmessage(msg);
    else this.#queue.push(msg);
  }

  #fail(code: number): void {
    if (this.#closed) return;
    this.#finish({ code, clean: false });
    this.#ws.close(code);
  }

  #ended(code: number): void {
    this.#finish({ code, clean: this.#peerClosed });
  }

  #finish(info: SocketClose): void {
    if (this.#closed) return;
    this.#closed = info;
    clearTimeout(this.#timer);
    this.#send.key.fill(0);
    this.#recv.key.fill(0);
    for (const w of this.#waiters.splice(0)) w.reject(new NqcChannelError('ERR_CHANNEL_PROTOCOL', `the socket closed (${info.code})`));
    this.onclose?.(info);
  }

  /** How the socket ended, once it has. */
  get closed(): SocketClose | undefined {
    return this.#closed;
  }
}
