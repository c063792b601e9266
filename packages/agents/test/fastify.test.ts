// The fastify plugin: /metrics and /status, and load shedding once the event loop stalls.
// Real HTTP on 127.0.0.1 (fastify's inject() needs light-my-request, which require()s an ESM-only
// package: plain Node 20.19+ can, jest's module loader cannot).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { SecurityManager } from '../src/index.js';
import { agentsPlugin } from '../src/fastify.js';

let manager: SecurityManager;
let app: FastifyInstance;
let base: string;
const get = async (path: string): Promise<{ statusCode: number; headers: Headers; body: string }> => {
  const r = await fetch(base + path);
  return { statusCode: r.status, headers: r.headers, body: await r.text() };
};

beforeAll(async () => {
  manager = await SecurityManager.create({ pools: { pq: { threads: 1 }, he: false, bulk: false } });
  manager.keys.createKey('sign');
  app = Fastify();
  await app.register(agentsPlugin, { manager, underPressure: { maxEventLoopDelay: 150, sampleInterval: 100, retryAfter: 3 } });
  app.get('/work', async () => 'done');
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  await manager.perform('sign', { message: new Uint8Array(3) });
  // under-pressure reports "no sample yet" as pressure: wait for a few quiet samples
  for (let i = 0; i < 50 && app.isUnderPressure(); i++) await new Promise((r) => setTimeout(r, 100));
}, 60_000);
afterAll(async () => {
  await app.close();
  await manager.close();
});

describe('agentsPlugin', () => {
  it('good_metrics: Prometheus text with the nqc metrics', async () => {
    const r = await get('/metrics');
    expect(r.statusCode).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.body).toMatch(/nqc_tasks_total\{agent="pq",op="sign",outcome="ok"\} 1/);
    expect(r.body).toMatch(/nqc_pool_queue_depth\{agent="pq"\} 0/);
  });

  it('good_status: JSON with health, pools and public keys only', async () => {
    const r = await get('/status');
    expect(r.statusCode).toBe(200);
    const s = JSON.parse(r.body) as { health: string; keys: unknown[] };
    expect(s.health).toBe('ok');
    expect(s.keys).toHaveLength(1);
    expect(r.body).not.toMatch(/SECRET/i);
  });

  it('fail_pressure: after the event loop stalls, requests are shed with 503 and Retry-After', async () => {
    expect((await get('/work')).statusCode).toBe(200);
    // under-pressure compares the MEAN of the event-loop delay samples since its last sample (10 ms
    // resolution, 100 ms interval): up to ~10 quiet samples plus the stall's one. 3 s against 150 ms:
    // mean >= (3000 + 10 x 10) / 11 - 10 = 272 ms whatever the timer phase. Which sample sees the
    // stall depends on whether under-pressure's timer or the histogram's fires first after it, so the
    // 503 window is one of the next two 100 ms intervals: poll for it (a fixed wait failed on Node 24).
    // Still missed once in a loaded CI run (Node 24), so: up to 3 stalls, each followed by up to
    // ~1.5 s of polling; a server that never sheds fails all three.
    let r = { statusCode: 0, headers: new Headers(), body: '' };
    const seen: number[] = [];
    for (let attempt = 0; attempt < 3 && r.statusCode !== 503; attempt++) {
      const until = Date.now() + 3000;
      while (Date.now() < until); // stall the loop well past maxEventLoopDelay
      const pollUntil = Date.now() + 1500;
      do {
        r = await get('/work');
        seen.push(app.memoryUsage().eventLoopDelay);
        if (r.statusCode !== 503) await new Promise((res) => setTimeout(res, 5));
      } while (r.statusCode !== 503 && Date.now() < pollUntil);
    }
    if (r.statusCode !== 503) console.log(`event-loop delays seen by under-pressure: ${seen.map((d) => d.toFixed(0)).join(' ')}`);
    expect(r.statusCode).toBe(503);
    expect(r.headers.get('retry-after')).toBe('3');
  }, 60_000);
});
