// TaskPool: bounded queue, cancellation, timeouts, crash isolation. One worker per pool (2-core CI box).
// The scenarios run in a plain Node process (piscina cannot replace workers inside jest's VM realm).
import { beforeAll, describe, expect, it } from '@jest/globals';
import { NqcAgentsError, TaskPool } from '../src/index.js';
import { runScenarios, type Scenarios } from './_scenarios.js';

let r: Scenarios;
beforeAll(async () => {
  r = await runScenarios('pool-scenarios.mjs');
}, 240_000);

describe('TaskPool', () => {
  it('good_run returns the worker value', () => {
    expect(r.run).toEqual({ value: 42 });
  });

  it('fail_task errors keep their library code as reason, not retryable', () => {
    expect(r.taskError).toEqual({ code: 'ERR_AGENTS_TASK_FAILED', retryable: false, reason: 'ERR_PQL_INVALID_INPUT' });
  });

  it('fail_queue_full: back-pressure rejects with a typed retryable error; queued tasks still finish', () => {
    expect(r.queueFull.depth).toBe(2);
    expect(r.queueFull.refused).toMatchObject({ code: 'ERR_AGENTS_QUEUE_FULL', retryable: true });
    expect(r.queueFull.done).toEqual([{ value: 'slept' }, { value: 2 }, { value: 4 }]);
    expect(r.queueFull.after).toEqual({ value: 8 });
  });

  it('fail_abort: an AbortSignal cancels a running task (and a pre-aborted one never starts); the pool keeps working', () => {
    expect(r.abort.aborted).toMatchObject({ code: 'ERR_AGENTS_ABORTED', retryable: false });
    expect(r.abort.preAborted).toMatchObject({ code: 'ERR_AGENTS_ABORTED' });
    expect(r.abort.after).toEqual({ value: 10 });
  });

  it('fail_timeout: a hung task is stopped with a retryable error and its worker replaced', () => {
    expect(r.timeout.timedOut).toMatchObject({ code: 'ERR_AGENTS_TIMEOUT', retryable: true });
    expect(r.timeout.after).toEqual({ value: 14 });
  });

  it('fail_crash: a worker that exits mid-task fails only that task; queued tasks complete on its replacement', () => {
    expect(r.crash.before).toEqual({ value: 2 });
    expect(r.crash.crash).toMatchObject({ code: 'ERR_AGENTS_WORKER_CRASHED', retryable: true });
    expect(r.crash.after).toEqual([{ value: 4 }, { value: 6 }]);
    expect(r.crash.status).toMatchObject({ replaced: 1, threads: 1, queueDepth: 0, open: true });
  });

  it('fail_seal_abort: a SEAL-style WASM abort (RuntimeError) makes the worker exit; it is replaced', () => {
    expect(r.sealAbort.crash).toMatchObject({ code: 'ERR_AGENTS_WORKER_CRASHED', retryable: true });
    expect(r.sealAbort.after).toEqual({ value: 16 });
    expect(r.sealAbort.status).toMatchObject({ replaced: 1, threads: 1 });
  });

  it('fail_bad options are refused', () => {
    const f = new URL('./fixtures/tasks.js', import.meta.url);
    expect(() => new TaskPool('x', f, { threads: 0 })).toThrow(NqcAgentsError);
    expect(() => new TaskPool('x', f, { maxQueue: -1 })).toThrow(NqcAgentsError);
    expect(() => new TaskPool('x', f, { taskTimeoutMs: 1.5 })).toThrow(NqcAgentsError);
  });
});
