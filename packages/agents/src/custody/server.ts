/**
 * The key-custody agent's server: holds a {@link KeyStore} (identities and signing keys, unlocked
 * once) in its own process and answers the narrow request set of `./protocol.ts` over a Unix domain
 * socket that only its owner can reach (socket 0600 in a directory 0700 owned by the same user).
 * It never sends a secret key: only public keys, signatures, unwrapped file keys and KEM shared secrets.
 * @module
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NqcAgentsError, fail } from '../errors.js';
import type { KeyStore } from '../keys.js';
import { encodeFrame, FrameDecoder, parseJsonObject, parseRequest, requestId, toBase64, type CustodyRequest } from './protocol.js';

/** Options of {@link CustodyServer.listen}. */
export type CustodyServerOptions = {
  /** Socket path. Its directory is created (mode 0700) if missing, and must be 0700 and owned by this user. */
  socketPath: string;
  /** The keys the agent holds. */
  keys: KeyStore;
  /** Most simultaneous client connections (default 16). */
  maxConnections?: number;
  /** A connection idle this long (ms) is closed (default 60,000). */
  idleTimeoutMs?: number;
};

/** Refuses a socket directory that group or others can reach, or that is not ours. */
async function checkDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new NqcAgentsError('ERR_AGENTS_SOCKET', `cannot create socket directory ${dir}`, { cause: e });
  }
  const st = await lstat(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) fail('ERR_AGENTS_SOCKET', `${dir} must be a directory, not a symbolic link or file`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) fail('ERR_AGENTS_SOCKET', `${dir} is not owned by this user`);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    fail('ERR_AGENTS_SOCKET', `refusing to start: ${dir} is accessible by group or others (mode ${mode.toString(8)}); chmod 700 it`);
  }
}

/** Removes a stale socket file; refuses a live one or a non-socket file. */
async function clearStale(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return;
  }
  if (!st.isSocket()) fail('ERR_AGENTS_SOCKET', `${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (live) fail('ERR_AGENTS_SOCKET', `another agent is listening on ${path}`);
  await unlink(path);
}

function errorBody(e: unknown): { code: string; message: string; reason?: string } {
  if (e instanceof NqcAgentsError) return { code: e.code, message: e.message, ...(e.reason ? { reason: e.reason } : {}) };
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : undefined;
  // pql messages are short and never carry key material; anything else gets a generic message.
  if (code?.startsWith('ERR_PQL_')) return { code: 'ERR_AGENTS_TASK_FAILED', reason: code, message: (e as Error).message };
  return { code: 'ERR_AGENTS_TASK_FAILED', message: 'the request failed' };
}

/**
 * A running custody agent.
 * @example
 * ```ts
 * const keys = KeyStore.fromIdentityFile(await readIdentityFile('key.nqc', { passphrase }));
 * const agent = await CustodyServer.listen({ socketPath: '/run/user/1000/nqc/agent.sock', keys });
 * // ... later
 * await agent.close();
 * ```
 */
export class CustodyServer {
  /** The socket path. */
  readonly socketPath: string;
  readonly #server: Server;
  readonly #keys: KeyStore;
  readonly #sockets = new Set<Socket>();
  #closed = false;

  private constructor(socketPath: string, server: Server, keys: KeyStore) {
    this.socketPath = socketPath;
    this.#server = server;
    this.#keys = keys;
  }

  /**
   * Checks the socket directory, removes a stale socket, listens, and makes the socket 0600.
   * @throws {NqcAgentsError} ERR_AGENTS_SOCKET (directory reachable by others, not ours, socket in use)
   */
  static async listen(options: CustodyServerOptions): Promise<CustodyServer> {
    const { socketPath, keys } = options;
    if (typeof socketPath !== 'string' || socketPath.length === 0 || Buffer.byteLength(socketPath) > 100) {
      fail('ERR_AGENTS_SOCKET', 'socketPath must be a non-empty path of at most 100 bytes (the Unix socket limit is ~104)');
    }
    await checkDirectory(dirname(socketPath));
    await clearStale(socketPath);
    const server = createServer();
    server.maxConnections = options.maxConnections ?? 16;
    const agent = new CustodyServer(socketPath, server, keys);
    const idle = options.idleTimeoutMs ?? 60_000;
    server.on('connection', (s) => agent.#serve(s, idle));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new NqcAgentsError('ERR_AGENTS_SOCKET', `cannot listen on ${socketPath}`, { cause: e })));
      server.listen(socketPath, () => resolve());
    });
    // The directory (0700) already shuts others out; the socket mode is a second lock.
    await chmod(socketPath, 0o600);
    return agent;
  }

  #serve(socket: Socket, idleMs: number): void {
    this.#sockets.add(socket);
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        // Framing is lost: answer once and hang up.
        socket.end(encodeFrame({ v: 1, id: null, ok: false, error: errorBody(e) }));
        return;
      }
      for (const f of frames) socket.write(encodeFrame(this.#answer(f)));
      // A client that pipelines without reading must not make us buffer without bound.
      if (socket.writableLength > 4 * (1 << 20)) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
  }

  #answer(body: Uint8Array): Record<string, unknown> {
    let id: number | null = null;
    try {
      const doc = parseJsonObject(body);
      id = requestId(doc);
      return { v: 1, id, ok: true, result: this.#perform(parseRequest(doc)) };
    } catch (e) {
      return { v: 1, id, ok: false, error: errorBody(e) };
    }
  }

  #perform(req: CustodyRequest): Record<string, unknown> {
    const keys = this.#keys;
    switch (req.op) {
      case 'list':
        return { keys: keys.list().map(({ hasSecret: _h, ...pub }) => pub) };
      case 'sign': {
        const r = keys.sign(req.message, { ...(req.keyId ? { keyId: req.keyId } : {}), ...(req.context ? { context: req.context } : {}) });
        return { keyId: r.keyId, algorithm: r.algorithm, signature: toBase64(r.signature) };
      }
      case 'unwrap': {
        const fk = keys.unwrapFileKey(req.stanzas);
        return { fileKey: fk === null ? null : toBase64(fk) };
      }
      case 'decapsulate': {
        const r = keys.decapsulate(req.cipherText, req.keyId);
        return { keyId: r.keyId, sharedSecret: toBase64(r.sharedSecret) };
      }
    }
  }

  /** Stops listening, closes every connection and removes the socket file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await unlink(this.socketPath).catch(() => undefined);
  }
}
