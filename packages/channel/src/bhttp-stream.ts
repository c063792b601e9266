/**
 * Binary HTTP (RFC 9292) indeterminate-length form, the inner message of chunked OHTTP
 * (draft-ietf-ohai-chunked-ohttp-08): requests are encoded and decoded whole (the client holds the
 * body, the gateway caps it), responses are written piece by piece and read by a push parser that
 * hands out content as it arrives, so a response streams in constant memory.
 * @module
 */
import { _concat, _fromUtf8, _lp, _Reader, _utf8, _varint } from './_bytes.js';
import { _bad, _checkControl, _checkFields, _MAX_INFORMATIONAL, _TOKEN, MAX_FIELD_LENGTH, MAX_FIELDS, type BhttpRequest, type Fields } from './bhttp.js';
import { NqcChannelError } from './errors.js';

/** Content pieces written per length-prefixed binary HTTP chunk. */
export const _CONTENT_PIECE = 16 * 1024;

function fieldsSection(fields: Fields, what: string): Uint8Array {
  _checkFields(fields, what);
  return _concat(...fields.flatMap(([n, v]) => [_lp(_utf8(n)), _lp(_utf8(v))]), _varint(0));
}

/** @internal One content chunk of an indeterminate-length message (`length || bytes`, non-empty). */
export function _contentChunk(data: Uint8Array): Uint8Array {
  return _concat(_varint(data.length), data);
}

/** @internal The end of an indeterminate-length message: content terminator, empty trailer section. */
export function _messageEnd(): Uint8Array {
  return Uint8Array.of(0, 0);
}

/**
 * @internal Encodes a request in indeterminate-length form (framing indicator 2), content in pieces of 16 KiB.
 * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED, ERR_CHANNEL_LIMIT
 */
export function _encodeIndeterminateRequest(req: BhttpRequest): Uint8Array {
  _checkControl('method', req.method, _TOKEN);
  _checkControl('scheme', req.scheme, _TOKEN);
  _checkControl('authority', req.authority, null);
  _checkControl('path', req.path, null);
  const parts = [_varint(2), _lp(_utf8(req.method)), _lp(_utf8(req.scheme)), _lp(_utf8(req.authority)), _lp(_utf8(req.path)), fieldsSection(req.headers, 'header')];
  for (let o = 0; o < req.content.length; o += _CONTENT_PIECE) parts.push(_contentChunk(req.content.subarray(o, o + _CONTENT_PIECE)));
  parts.push(_varint(0), fieldsSection(req.trailers ?? [], 'trailer'));
  return _concat(...parts);
}

/** @internal The head of an indeterminate-length response (framing indicator 3, status, header section). */
export function _responseHead(status: number, headers: Fields): Uint8Array {
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `"status" expected 200..599, got ${String(status)}`);
  return _concat(_varint(3), _varint(status), fieldsSection(headers, 'header'));
}

function readFieldLines(r: _Reader, what: string): Fields {
  const out: [string, string][] = [];
  for (;;) {
    if (r.remaining === 0) break; // a section truncated at its boundary reads as empty (RFC 9292 Section 3.8)
    const name = r.lpBytes(MAX_FIELD_LENGTH, `binary http ${what} name`);
    if (name.length === 0) break;
    if (out.length === MAX_FIELDS) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `binary http: more than ${MAX_FIELDS} ${what}s`);
    out.push([_fromUtf8(name, `binary http ${what} name`), _fromUtf8(r.lpBytes(MAX_FIELD_LENGTH, `binary http ${what} value`), `binary http ${what} value`)]);
  }
  _checkFields(out, what);
  return out;
}

/**
 * @internal Decodes a whole indeterminate-length request (framing indicator 2).
 * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED, ERR_CHANNEL_LIMIT
 */
export function _decodeIndeterminateRequest(bytes: Uint8Array): BhttpRequest {
  const r = new _Reader(bytes, 'binary http request');
  const framing = r.varint();
  if (framing !== 2) throw _bad(`framing indicator ${framing} is not an indeterminate-length request`);
  const str = (what: string) => _fromUtf8(r.lpBytes(MAX_FIELD_LENGTH, `binary http ${what}`), `binary http ${what}`);
  const method = str('method');
  const scheme = str('scheme');
  const authority = str('authority');
  const path = str('path');
  _checkControl('method', method, _TOKEN);
  _checkControl('scheme', scheme, _TOKEN);
  _checkControl('authority', authority, null);
  _checkControl('path', path, null);
  const headers = readFieldLines(r, 'header');
  const pieces: Uint8Array[] = [];
  while (r.remaining > 0) {
    const n = r.varint();
    if (n === 0) break;
    pieces.push(r.bytes(n));
  }
  const trailers = readFieldLines(r, 'trailer');
  if (r.bytes(r.remaining).some((b) => b !== 0)) throw _bad('non-zero padding');
  return { method, scheme, authority, path, headers, content: _concat(...pieces), trailers };
}

/** What {@link _ResponseParser.push} found. */
export type _ResponseEvents = { head?: { status: number; headers: Fields }; content: Uint8Array[] };

// A varint at `o` in `b`, or undefined when it is not complete yet.
function peekVarint(b: Uint8Array, o: number): { value: number; length: number } | undefined {
  if (o >= b.length) return undefined;
  const length = 1 << (b[o]! >>> 6);
  if (o + length > b.length) return undefined;
  const r = new _Reader(b.subarray(o, o + length), 'binary http');
  return { value: r.varint(false), length };
}

/**
 * @internal A push parser of an indeterminate-length response: buffers at most one field line of
 * the head; content bytes are handed out as they arrive, without waiting for a whole chunk.
 */
export class _ResponseParser {
  #buf: Uint8Array = new Uint8Array(0);
  #state: 'framing' | 'status' | 'fields' | 'len' | 'data' | 'trailers' | 'done' = 'framing';
  #status = 0;
  #informational = 0;
  #fields: [string, string][] = [];
  #left = 0;
  #sawHead = false;

  /**
   * Feeds plaintext bytes.
   * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED, ERR_CHANNEL_LIMIT
   */
  push(bytes: Uint8Array): _ResponseEvents {
    this.#buf = this.#buf.length ? _concat(this.#buf, bytes) : bytes;
    const ev: _ResponseEvents = { content: [] };
    let o = 0;
    for (;;) {
      if (this.#state === 'data') {
        const n = Math.min(this.#left, this.#buf.length - o);
        if (n === 0) break;
        ev.content.push(this.#buf.slice(o, o + n));
        o += n;
        this.#left -= n;
        if (this.#left === 0) this.#state = 'len';
        continue;
      }
      if (this.#state === 'done') {
        if (this.#buf.subarray(o).some((b) => b !== 0)) throw _bad('non-zero padding');
        o = this.#buf.length;
        break;
      }
      const v = peekVarint(this.#buf, o);
      if (!v) break;
      if (this.#state === 'framing') {
        if (v.value !== 3) throw _bad(`framing indicator ${v.value} is not an indeterminate-length response`);
        this.#state = 'status';
      } else if (this.#state === 'status') {
        if (v.value >= 100 && v.value < 200) {
          if (++this.#informational > _MAX_INFORMATIONAL) throw new NqcChannelError('ERR_CHANNEL_LIMIT', 'binary http: too many informational responses');
        } else if (v.value < 200 || v.value > 599) throw _bad(`status ${v.value}`);
        this.#status = v.value;
        this.#fields = [];
        this.#state = 'fields';
      } else if (this.#state === 'fields' || this.#state === 'trailers') {
        if (v.value === 0) {
          o += v.length;
          const fields = this.#fields;
          _checkFields(fields, this.#state === 'fields' ? 'header' : 'trailer');
          if (this.#state === 'trailers') this.#state = 'done';
          else if (this.#status < 200) this.#state = 'status';
          else {
            ev.head = { status: this.#status, headers: fields };
            this.#sawHead = true;
            this.#state = 'len';
          }
          this.#fields = [];
          continue;
        }
        if (v.value > MAX_FIELD_LENGTH) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `binary http field name is ${v.value} bytes, limit ${MAX_FIELD_LENGTH}`);
        const nameEnd = o + v.length + v.value;
        const vv = peekVarint(this.#buf, nameEnd);
        if (!vv) break;
        if (vv.value > MAX_FIELD_LENGTH) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `binary http field value is ${vv.value} bytes, limit ${MAX_FIELD_LENGTH}`);
        const end = nameEnd + vv.length + vv.value;
        if (end > this.#buf.length) break;
        if (this.#fields.length === MAX_FIELDS) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `binary http: more than ${MAX_FIELDS} fields`);
        this.#fields.push([_fromUtf8(this.#buf.subarray(o + v.length, nameEnd), 'binary http field name'), _fromUtf8(this.#buf.subarray(nameEnd + vv.length, end), 'binary http field value')]);
        o = end;
        continue;
      } else if (this.#state === 'len') {
        if (v.value === 0) this.#state = 'trailers';
        else {
          this.#left = v.value;
          this.#state = 'data';
        }
      }
      o += v.length;
    }
    this.#buf = this.#buf.slice(o);
    return ev;
  }

  /**
   * Ends the message.
   * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED when the message stopped inside a section
   */
  end(): void {
    const atBoundary = this.#buf.length === 0 && this.#sawHead && (this.#state === 'len' || this.#state === 'trailers' || this.#state === 'done');
    if (!atBoundary || (this.#state === 'trailers' && this.#fields.length > 0)) throw _bad('indeterminate-length response is truncated');
  }
}
