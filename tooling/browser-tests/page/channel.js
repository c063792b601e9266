// The page of the channel browser test: @nqc/channel's ChannelClient (the browser's fetch) and
// ChannelSocket (the browser's WebSocket), with an ML-DSA-65 client key made here by @nqc/pql.
// Bundled by esbuild like an app would; served by the gateway's own origin (same-origin fetch).
import * as channel from '@nqc/channel';
import { generateSigningKey } from '@nqc/pql';

globalThis.channel = channel;
globalThis.generateSigningKey = generateSigningKey;
globalThis.nqcReady = true;
