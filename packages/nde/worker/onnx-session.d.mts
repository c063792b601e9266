// Types of onnx-session.mjs (plain JS so that worker threads can load it; see that file).
import type { InferenceSession } from 'onnxruntime-node';

export declare const SESSION_OPTIONS: InferenceSession.SessionOptions;

export declare function runJob(
  ort: typeof import('onnxruntime-node'),
  session: InferenceSession,
  job: {
    batch: number;
    blocks: number;
    data: Uint8Array;
    iv: Uint8Array;
    w1: Uint8Array;
    z1: Uint8Array;
    w2: Uint8Array;
    z2: Uint8Array;
    decrypt: boolean;
  },
): Promise<Uint8Array>;

/** Runs one NDE v2 job; resolves with the `out` [batch, steps, 512] and `state` [batch, 64] bytes. */
export declare function runJobV2(
  ort: typeof import('onnxruntime-node'),
  session: InferenceSession,
  job: {
    version: 2;
    batch: number;
    steps: number;
    data: Uint8Array;
    iv: Uint8Array;
    w1: Uint8Array;
    z1: Uint8Array;
    w2: Uint8Array;
    z2: Uint8Array;
    decrypt: boolean;
  },
): Promise<{ out: Uint8Array; state: Uint8Array }>;

/**
 * Runs a job posted to a worker thread (v2 when `version: 2`); wipes the job's weights, start states
 * and input whether or not the run succeeds. The outputs each cover their whole buffer.
 */
export declare function runPosted(
  ort: typeof import('onnxruntime-node'),
  session: InferenceSession,
  job: Parameters<typeof runJob>[2] | Parameters<typeof runJobV2>[2],
): Promise<{ out: Uint8Array; state?: Uint8Array }>;

/** Frees a buffer this code owns now (detaches it); see onnx-session.mjs. */
export declare function releaseBuffer(bytes: Uint8Array): void;
