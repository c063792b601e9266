// One measured operation in its own process (so peak RSS is its own):
//   node op.mjs enc|dec <nde: auto|off> <identity-file> <in> <out>
// Prints one JSON line: { ms, maxRssMiB, backend }.
import { readFileSync } from 'node:fs';
import { createEncryptTransform, createDecryptTransform, ndeBackendName, closeNde, parseIdentity } from '../dist/node.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

const [op, nde, idFile, input, output] = process.argv.slice(2);
const identity = parseIdentity(readFileSync(idFile, 'utf8').trim());
const t0 = performance.now();
let backend = 'none';
if (op === 'enc') {
  const t = await createEncryptTransform({ recipients: identity.recipient(), nde });
  await pipeline(createReadStream(input, { highWaterMark: 1 << 20 }), t, createWriteStream(output));
} else {
  const d = createDecryptTransform({ identities: identity, nde });
  await pipeline(createReadStream(input, { highWaterMark: 1 << 20 }), d.transform, createWriteStream(output));
  await d.done;
}
const ms = performance.now() - t0;
if (nde !== 'off') backend = await ndeBackendName(nde);
await closeNde();
console.log(JSON.stringify({ ms, maxRssMiB: process.resourceUsage().maxRSS / 1024, backend }));
