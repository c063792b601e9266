/**
 * The custody agent's wire protocol: length-prefixed JSON over a Unix domain socket.
 *
 * Frame: a 4-byte big-endian length N (1 ≤ N ≤ {@link MAX_FRAME_BYTES}), then N bytes of UTF-8 JSON.
 * Requests (`v` is 1, `id` an integer in 0..2^31-1 echoed in the response):
 *
 * | op | fields | result |
 * | --- | --- | --- |
 * | `list` | none | `{ keys: [{ id, purpose, algorithm, created, status, publicKey }] }` |
 * | `sign` | `message` (base64), `keyId`?, `context`? (base64, ≤ 255 bytes) | `{ keyId, algorithm, signature }` |
 * | `unwrap` | `stanzas`: `[{ type, args, body (base64) }]` | `{ fileKey }` (base64, or null: not mine) |
 * | `decapsulate` | `cipherText` (base64), `keyId`? | `{ keyId, sharedSecret }` |
 *
 * Responses: `{ v: 1, id, ok: true, result }` or `{ v: 1, id, ok: false, error: { code, message, reason? } }`
 * (`id` is null when the request could not be read). Every field is checked: unknown fields, wrong
 * types, non-canonical base64 and oversized values are refused with `ERR_AGENTS_PROTOCOL`.
 * @module
 */
import type { Stanza } from '@nqc/pql';
import { fail } from '../errors.js';

/** Largest frame either side accepts (1 MiB). */
export const MAX_FRAME_BYTES = 1 << 20;
/** Largest message `sign` accepts (512 KiB decoded): sign a digest or a transcript, not a file. */
export const MAX_SIGN_MESSAGE_BYTES = 512 << 10;
/** Most stanzas in one `unwrap` request. */
export const MAX_STANZAS = 64;
/** Largest stanza body or KEM ciphertext (decoded). */
export const MAX_BODY_BYTES = 8 << 10;

/** A parsed request. */
export type CustodyRequest =
  | { id: number; op: 'list' }
  | { id: number; op: 'sign'; message: Uint8Array; keyId?: string; context?: Uint8Array }
  | { id: number; op: 'unwrap'; stanzas: Stanza[] }
  | { id: number; op: 'decapsulate'; cipherText: Uint8Array; keyId?: string };

/** Operation names of the protocol. */
export type CustodyOp = CustodyRequest['op'];

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const VCHAR = /^[\x21-\x7e]+$/;
const KEY_ID = /^[0-9a-f]{8}$/;

const bad = (message: string): never => fail('ERR_AGENTS_PROTOCOL', message);

/** Encodes bytes as standard padded base64. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decodes canonical standard padded base64 (the only form {@link toBase64} writes).
 * @throws {NqcAgentsError} ERR_AGENTS_PROTOCOL
 */
export function fromBase64(name: string, v: unknown, maxBytes: number): Uint8Array {
  if (typeof v !== 'string' || !B64.test(v)) bad(`"${name}" must be canonical base64`);
  const s = v as string;
  if ((s.length / 4) * 3 > maxBytes + 2) bad(`"${name}" is too long (at most ${maxBytes} bytes)`);
  const bytes = new Uint8Array(Buffer.from(s, 'base64'));
  if (bytes.length > maxBytes || toBase64(bytes) !== s) bad(`"${name}" must be canonical base64 of at most ${maxBytes} bytes`);
  return bytes;
}

/** Frames a JSON value: 4-byte big-endian length, then UTF-8 JSON. @throws {NqcAgentsError} ERR_AGENTS_PROTOCOL when too large */
export function encodeFrame(value: unknown): Uint8Array {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  if (body.length > MAX_FRAME_BYTES) bad(`message too large: ${body.length} > ${MAX_FRAME_BYTES} bytes`);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/**
 * Splits a byte stream into frames. Never buffers more than one frame: a length of 0 or above
 * {@link MAX_FRAME_BYTES} throws before anything is allocated for it.
 */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);

  /**
   * Adds received bytes and returns the complete frame bodies.
   * @throws {NqcAgentsError} ERR_AGENTS_PROTOCOL for an invalid length (the stream is then unusable)
   */
  push(chunk: Uint8Array): Uint8Array[] {
    this.#buf = this.#buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buf, chunk]);
    const frames: Uint8Array[] = [];
    while (this.#buf.length >= 4) {
      const n = this.#buf.readUInt32BE(0);
      if (n === 0 || n > MAX_FRAME_BYTES) bad(`invalid frame length ${n} (1..${MAX_FRAME_BYTES})`);
      if (this.#buf.length < 4 + n) break;
      frames.push(new Uint8Array(this.#buf.subarray(4, 4 + n)));
      this.#buf = this.#buf.subarray(4 + n);
    }
    return frames;
  }
}

/** Parses a frame body as a JSON object. @throws {NqcAgentsError} ERR_AGENTS_PROTOCOL */
export function parseJsonObject(body: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    bad('message is not valid UTF-8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text!);
  } catch {
    bad('message is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) bad('message must be a JSON object');
  return doc as Record<string, unknown>;
}

const FIELDS: Readonly<Record<CustodyOp, readonly string[]>> = {
  list: [],
  sign: ['message', 'keyId', 'context'],
  unwrap: ['stanzas'],
  decapsulate: ['cipherText', 'keyId'],
};

/** The request id of a message if it has a valid one, else null (for error responses). */
export function requestId(doc: Record<string, unknown>): number | null {
  const id = doc.id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 && id < 2 ** 31 ? id : null;
}

function keyIdField(doc: Record<string, unknown>): string | undefined {
  const k = doc.keyId;
  if (k === undefined) return undefined;
  if (typeof k !== 'string' || !KEY_ID.test(k)) bad('"keyId" must be 8 lowercase hex characters');
  return k as string;
}

function stanzaField(raw: unknown, i: number): Stanza {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(`stanza ${i} must be an object`);
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s)) if (k !== 'type' && k !== 'args' && k !== 'body') bad(`stanza ${i}: unknown field "${k}"`);
  if (typeof s.type !== 'string' || s.type.length > 64 || !VCHAR.test(s.type)) bad(`stanza ${i}: "type" must be printable ASCII, at most 64 chars`);
  if (!Array.isArray(s.args) || s.args.length > 8) bad(`stanza ${i}: "args" must be an array of at most 8 strings`);
  const args = s.args as unknown[];
  for (const a of args) if (typeof a !== 'string' || a.length > 128 || !VCHAR.test(a)) bad(`stanza ${i}: every arg must be printable ASCII, at most 128 chars`);
  return { type: s.type as string, args: args as string[], body: fromBase64(`stanzas[${i}].body`, s.body, MAX_BODY_BYTES) };
}

/**
 * Parses and checks a request (every field; unknown fields refused).
 * @throws {NqcAgentsError} ERR_AGENTS_PROTOCOL
 */
export function parseRequest(doc: Record<string, unknown>): CustodyRequest {
  if (doc.v !== 1) bad('unsupported protocol version (expected "v": 1)');
  const id = requestId(doc);
  if (id === null) bad('"id" must be an integer in 0..2^31-1');
  const op = doc.op;
  if (typeof op !== 'string' || !Object.hasOwn(FIELDS, op)) bad(`unknown operation ${JSON.stringify(typeof op === 'string' ? op.slice(0, 32) : op)}`);
  const allowed = new Set(['v', 'id', 'op', ...FIELDS[op as CustodyOp]]);
  for (const k of Object.keys(doc)) if (!allowed.has(k)) bad(`unknown field "${k.slice(0, 32)}" for ${op as string}`);
  switch (op as CustodyOp) {
    case 'list':
      return { id: id!, op: 'list' };
    case 'sign': {
      const req: CustodyRequest = { id: id!, op: 'sign', message: fromBase64('message', doc.message, MAX_SIGN_MESSAGE_BYTES) };
      const keyId = keyIdField(doc);
      if (keyId !== undefined) req.keyId = keyId;
      if (doc.context !== undefined) req.context = fromBase64('context', doc.context, 255);
      return req;
    }
    case 'unwrap': {
      if (!Array.isArray(doc.stanzas) || doc.stanzas.length === 0 || doc.stanzas.length > MAX_STANZAS) {
        bad(`"stanzas" must be an array of 1..${MAX_STANZAS} stanzas`);
      }
      return { id: id!, op: 'unwrap', stanzas: (doc.stanzas as unknown[]).map(stanzaField) };
    }
    case 'decapsulate': {
      const req: CustodyRequest = { id: id!, op: 'decapsulate', cipherText: fromBase64('cipherText', doc.cipherText, MAX_BODY_BYTES) };
      const keyId = keyIdField(doc);
      if (keyId !== undefined) req.keyId = keyId;
      return req;
    }
  }
  return bad('unreachable');
}
