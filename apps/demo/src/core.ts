/**
 * The facade as the demo uses it: the Node entry (ONNX NDE backend when available).
 * @module
 */
export { aggregate, decrypt, decryptAggregate, decryptRecord, encrypt, encryptRecord, inspect, closeNde } from '@nqc/core/node';
export type { KemIdentity, SigningKey } from '@nqc/pql';
