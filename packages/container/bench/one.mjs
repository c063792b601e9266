// One measured operation in its own process (so its peak RSS is its own). Prints JSON.
// usage: node bench/one.mjs encrypt|decrypt <aead> <in> <out>
import { createReadStream, createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptDuplex, createEncryptDuplex } from '../dist/node.js';

const [op, aead, input, output] = process.argv.slice(2);
const fileKey = new Uint8Array(32).fill(7);
const stanzas = [{ type: 'bench-filekey', args: [], body: fileKey }];
const unwrap = (s) => (s[0]?.type === 'bench-filekey' ? s[0].body : null);
const sink = output === '/dev/null' ? new Writable({ write: (_c, _e, cb) => cb() }) : createWriteStream(output);
const highWaterMark = 1 << 20;
const t0 = process.hrtime.bigint();
if (op === 'encrypt') {
  await pipeline(createReadStream(input, { highWaterMark }), createEncryptDuplex({ fileKey, stanzas, aead }), sink);
} else {
  await pipeline(createReadStream(input, { highWaterMark }), createDecryptDuplex({ unwrap }).duplex, sink);
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({ ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
