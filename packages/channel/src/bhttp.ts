/**
 * Binary HTTP messages (RFC 9292), known-length form only: the inner message of every OHTTP
 * request and response. Strict: field names must be lowercase tokens, values free of CR, LF and
 * NUL, counts capped, padding must be zeros. Sections truncated at their boundary read as empty
 * (RFC 9292 Section 3.8), which the encoder also uses to drop trailing empty sections.
 * @module
 */
import { _checkBytes, _concat, _fromUtf8, _lp, _Reader, _utf8, _varint } from './_bytes.js';
import { NqcChannelError } from './errors.js';

/** Header or trailer fields in order; names are lowercase. */
export type Fields = readonly (readonly [name: string, value: string])[];

/** A binary HTTP request. */
export type BhttpRequest = {
  readonly method: string;
  readonly scheme: string;
  readonly authority: string;
  readonly path: string;
  readonly headers: Fields;
  readonly content: Uint8Array;
  readonly trailers?: Fields;
};

/** A binary HTTP response (informational responses are read and dropped). */
export type BhttpResponse = {
  readonly status: number;
  readonly headers: Fields;
  readonly content: Uint8Array;
  readonly trailers?: Fields;
};

/** Most field lines in one header or trailer section. */
export const MAX_FIELDS = 128;
/** Longest field name, value, method, scheme, authority or path, in bytes. */
export const MAX_FIELD_LENGTH = 16 * 1024;
/** Most informational (1xx) responses skipped before the final one. */
const MAX_INFORMATIONAL = 8;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LOWER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const BAD_VALUE = /[\r\n\0]/;

function bad(msg: string): NqcChannelError {
  return new NqcChannelError('ERR_CHANNEL_MALFORMED', `binary http: ${msg}`);
}

function checkFields(fields: Fields, what: string): void {
  if (fields.length > MAX_FIELDS) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `binary http: more than ${MAX_FIELDS} ${what}`);
  for (const [n, v] of fields) {
    if (typeof n !== 'string' || !LOWER_TOKEN.test(n)) throw bad(`${what} name ${JSON.stringify(String(n).slice(0, 40))} is not a lowercase token`);
    if (typeof v !== 'string' || BAD_VALUE.test(v)) throw bad(`${what} ${n} has a forbidden character`);
  }
}

function encodeFields(fields: Fields, what: string): Uint8Array {
  checkFields(fields, what);
  return _lp(_concat(...fields.flatMap(([n, v]) => [_lp(_utf8(n)), _lp(_utf8(v))])));
}

function checkControl(name: string, value: string, re: RegExp | null): void {
  if (typeof value !== 'string' || value.length > MAX_FIELD_LENGTH || (re ? !re.test(value) : BAD_VALUE.test(value))) {
    throw bad(`bad ${name} ${JSON.stringify(String(value).slice(0, 40))}`);
  }
}

// Drops trailing sections that are empty (each encodes as one 0x00 byte): RFC 9292 Section 3.8.
function truncate(framing: Uint8Array, sections: Uint8Array[]): Uint8Array {
  let n = sections.length;
  while (n > 0 && sections[n - 1]!.length === 1 && sections[n - 1]![0] === 0) n--;
  return _concat(framing, ...sections.slice(0, n));
}

/**
 * Encodes a request in known-length form.
 * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED (bad method, field name or value), ERR_CHANNEL_LIMIT
 */
export function encodeRequest(req: BhttpRequest): Uint8Array {
  checkControl('method', req.method, TOKEN);
  checkControl('scheme', req.scheme, TOKEN);
  checkControl('authority', req.authority, null);
  checkControl('path', req.path, null);
  _checkBytes('content', req.content);
  const control = _concat(_lp(_utf8(req.method)), _lp(_utf8(req.scheme)), _lp(_utf8(req.authority)), _lp(_utf8(req.path)));
  return _concat(_varint(0), control, truncate(new Uint8Array(0), [encodeFields(req.headers, 'header'), _lp(req.content), encodeFields(req.trailers ?? [], 'trailer')]));
}

/**
 * Encodes a response in known-length form.
 * @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT (status outside 200..599), ERR_CHANNEL_MALFORMED, ERR_CHANNEL_LIMIT
 */
export function encodeResponse(res: BhttpResponse): Uint8Array {
  if (!Number.isInteger(res.status) || res.status < 200 || res.status > 599) {
    throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `"status" expected 200..599, got ${String(res.status)}`);
  }
  _checkBytes('content', res.content);
  return truncate(_varint(1), [_varint(res.status), encodeFields(res.headers, 'header'), _lp(res.content), encodeFields(res.trailers ?? [], 'trailer')]);
}

function readString(r: _Reader, what: string): string {
  return _fromUtf8(r.lpBytes(MAX_FIELD_LENGTH, `binary http ${what}`), `binary http ${what}`);
}

function readFields(r: _Reader, what: string): Fields {
  if (r.remaining === 0) return [];
  const section = new _Reader(r.lpBytes(Number.MAX_SAFE_INTEGER, `binary http ${what} section`), `binary http ${what} section`);
  const out: [string, string][] = [];
  while (section.remaining > 0) {
    if (out.length === MAX_FIELDS) throw new NqcChannelError('ERR_CHANNEL_LIMIT', `binary http: more than ${MAX_FIELDS} ${what}s`);
    out.push([readString(section, `${what} name`), readString(section, `${what} value`)]);
  }
  checkFields(out, what);
  return out;
}

function readEnd(r: _Reader): void {
  const rest = r.bytes(r.remaining);
  if (rest.some((b) => b !== 0)) throw bad('non-zero padding');
}

/**
 * Decodes a known-length request (framing indicator 0).
 * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED (including indeterminate-length framing), ERR_CHANNEL_LIMIT
 */
export function decodeRequest(bytes: Uint8Array): BhttpRequest {
  _checkBytes('bytes', bytes);
  const r = new _Reader(bytes, 'binary http request');
  const framing = r.varint();
  if (framing !== 0) throw bad(framing === 2 ? 'indeterminate-length requests are not supported' : `framing indicator ${framing} is not a request`);
  const method = readString(r, 'method');
  const scheme = readString(r, 'scheme');
  const authority = readString(r, 'authority');
  const path = readString(r, 'path');
  checkControl('method', method, TOKEN);
  checkControl('scheme', scheme, TOKEN);
  checkControl('authority', authority, null);
  checkControl('path', path, null);
  const headers = readFields(r, 'header');
  const content = r.remaining === 0 ? new Uint8Array(0) : r.lpBytes(Number.MAX_SAFE_INTEGER, 'binary http content');
  const trailers = readFields(r, 'trailer');
  readEnd(r);
  return { method, scheme, authority, path, headers, content, trailers };
}

/**
 * Decodes a known-length response (framing indicator 1), skipping informational responses.
 * @throws {NqcChannelError} ERR_CHANNEL_MALFORMED, ERR_CHANNEL_LIMIT
 */
export function decodeResponse(bytes: Uint8Array): BhttpResponse {
  _checkBytes('bytes', bytes);
  const r = new _Reader(bytes, 'binary http response');
  const framing = r.varint();
  if (framing !== 1) throw bad(framing === 3 ? 'indeterminate-length responses are not supported' : `framing indicator ${framing} is not a response`);
  let status = r.varint();
  for (let i = 0; status >= 100 && status < 200; i++) {
    if (i === MAX_INFORMATIONAL) throw new NqcChannelError('ERR_CHANNEL_LIMIT', 'binary http: too many informational responses');
    readFields(r, 'header');
    status = r.varint();
  }
  if (status < 200 || status > 599) throw bad(`status ${status}`);
  const headers = readFields(r, 'header');
  const content = r.remaining === 0 ? new Uint8Array(0) : r.lpBytes(Number.MAX_SAFE_INTEGER, 'binary http content');
  const trailers = readFields(r, 'trailer');
  readEnd(r);
  return { status, headers, content, trailers };
}

/** @internal Shared with the indeterminate-length codec (`bhttp-stream.ts`). */
export { bad as _bad, checkControl as _checkControl, checkFields as _checkFields, TOKEN as _TOKEN, MAX_INFORMATIONAL as _MAX_INFORMATIONAL };
