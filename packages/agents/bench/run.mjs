// Event-loop lag (p99) and throughput while serving 1,000 ML-DSA-65 signatures and 100 HE
// aggregations, first in the main thread, then through the security manager's pools, in one run.
// Usage: pnpm --filter @nqc/agents bench   (needs dist/: turbo builds it first)
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpus } from 'node:os';
import { generateSigningKey } from '@nqc/pql';
import { decodeCiphertext, defineSchema, encodeCiphertext, EvaluationBundle, HeClient, HeEvaluator, HeKeySet } from '@nqc/she';
import { SecurityManager } from '../dist/index.js';

const SIGNATURES = Number(process.env.NQC_BENCH_SIGNATURES ?? 1000);
const AGGREGATIONS = Number(process.env.NQC_BENCH_AGGREGATIONS ?? 100);
const VALUES = 2000; // values per aggregation (one BFV N=4096 column ciphertext)

const message = new TextEncoder().encode('a channel response to sign, about this long: 64 bytes of data.');
const keys = await HeKeySet.generate('bfv-n4096');
const client = await HeClient.create(keys, defineSchema([{ path: 'amount', type: 'integer', min: 0, max: 1000 }]));
const columns = client.encryptColumn('amount', Array.from({ length: VALUES }, (_, i) => i % 1001));
const inputs = columns.map((c) => encodeCiphertext(c));
const bundle = await (await keys.evaluationBundle()).encode();
const expected = [Array.from({ length: VALUES }, (_, i) => i % 1001).reduce((a, b) => a + b, 0)];

/**
 * Starts one job per event-loop turn (requests arriving one by one, as on a socket) and measures the
 * main thread's event-loop delay until every job is done.
 */
async function measure(name, jobs) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  // a heartbeat: a server's timers and sockets would be here
  const beat = setInterval(() => undefined, 5);
  h.enable();
  const t0 = performance.now();
  const running = [];
  for (const j of jobs) {
    running.push(j());
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(running);
  const seconds = (performance.now() - t0) / 1000;
  h.disable();
  clearInterval(beat);
  return { name, seconds, opsPerSecond: jobs.length / seconds, lagP99Ms: h.percentile(99) / 1e6, lagMaxMs: h.max / 1e6 };
}

/** One HE aggregation after every `SIGNATURES / AGGREGATIONS` signatures. */
function interleave(signs, sums) {
  const out = [];
  const every = Math.max(1, Math.floor(signs.length / Math.max(1, sums.length)));
  signs.forEach((s, i) => {
    out.push(s);
    if ((i + 1) % every === 0 && sums.length) out.push(sums.shift());
  });
  return out.concat(sums);
}

// 1. Main thread: each request is handled when the loop gets to it (as a plain server would).
const signer = generateSigningKey('mldsa65');
const evaluator = await HeEvaluator.create(await EvaluationBundle.decode(bundle));
const inlineJobs = interleave(
  Array.from({ length: SIGNATURES }, () => async () => {
    signer.sign(message);
  }),
  Array.from({ length: AGGREGATIONS }, () => async () => {
    const sum = evaluator.sum(inputs.map((b) => decodeCiphertext(b)), 'amount');
    if (client.decrypt(sum)[0] !== expected[0]) throw new Error('wrong HE sum');
  }),
);
const inline = await measure('main thread', inlineJobs);
evaluator.dispose();

// 2. Pools: pq and he, one worker each (2 cores: the main thread keeps the rest).
const manager = await SecurityManager.create({
  pools: {
    pq: { threads: 1, maxQueue: SIGNATURES + 10, taskTimeoutMs: 600_000 },
    he: { threads: 1, maxQueue: AGGREGATIONS + 10, taskTimeoutMs: 600_000 },
    bulk: false,
  },
  metrics: { defaultMetrics: false },
});
manager.keys.createKey('sign', 'mldsa65');
// warm both pools (worker start, SEAL load and key loading are one-off costs)
await manager.perform('sign', { message });
await manager.perform('he.sum', { bundle, inputs, path: 'amount' });
const pooledJobs = interleave(
  Array.from({ length: SIGNATURES }, () => () => manager.perform('sign', { message })),
  Array.from({ length: AGGREGATIONS }, () => async () => {
    const sum = await manager.perform('he.sum', { bundle, inputs, path: 'amount' });
    if (client.decrypt(decodeCiphertext(sum))[0] !== expected[0]) throw new Error('wrong HE sum');
  }),
);
const pooled = await measure('pools (pq 1 + he 1 worker)', pooledJobs);
await manager.close();
client.dispose();
keys.dispose();

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`${SIGNATURES} ML-DSA-65 signatures + ${AGGREGATIONS} BFV N=4096 sums of ${VALUES} values; Node ${process.version}; ${cpu}, ${cpus().length} cores`);
console.log('| where | wall (s) | tasks/s | event-loop lag p99 (ms) | max (ms) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of [inline, pooled]) {
  console.log(`| ${r.name} | ${r.seconds.toFixed(2)} | ${r.opsPerSecond.toFixed(0)} | ${r.lagP99Ms.toFixed(1)} | ${r.lagMaxMs.toFixed(1)} |`);
}
