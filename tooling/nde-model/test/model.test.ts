import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NDE_MODEL_FILE, NDE_MODEL_ID_HEX, NDE_MODELS } from '@nqc/nde';
import { buildNdeModel, buildNdeV2Model, buildShippedModel, buildShippedModelV2, NDE_V2_MODEL_FILE, NDE_V2_SHAPE, ProtoWriter } from '../src/index.js';

const shipped = new Uint8Array(readFileSync(new URL(`../../../packages/nde/model/${NDE_MODEL_FILE}`, import.meta.url)));

describe('the shipped model', () => {
  it('regenerates byte for byte', () => {
    expect(bytesToHex(buildShippedModel())).toBe(bytesToHex(shipped));
  });
  it('hashes to the pinned NDE_MODEL_ID', () => {
    expect(bytesToHex(sha256(shipped))).toBe(NDE_MODEL_ID_HEX);
    expect(bytesToHex(sha256(buildShippedModel()))).toBe(NDE_MODEL_ID_HEX);
  });
  it('is deterministic, and depends on every shape parameter', () => {
    const base = { blockSize: 128, mix: 0x9e3779b1, shift: 24, version: 'v1' };
    expect(buildNdeModel(base)).toEqual(buildNdeModel({ ...base }));
    for (const change of [{ blockSize: 64 }, { mix: 0x9e3779b3 }, { shift: 23 }, { version: 'v2' }]) {
      expect(bytesToHex(buildNdeModel({ ...base, ...change }))).not.toBe(bytesToHex(buildNdeModel(base)));
    }
  });
  it('carries no weights: no tensor in it is larger than a 4-byte constant', () => {
    // The only initialisers are the public uint32 constants `mix` and `shift`; the file is small.
    expect(shipped.length).toBeLessThan(4096);
    const text = new TextDecoder('latin1').decode(shipped);
    for (const name of ['MatMulInteger', 'Scan', 'BitShift', 'If', 'Add', 'Sub', 'w1', 'z2', 'decrypt']) expect(text).toContain(name);
  });
});

const shippedV2 = new Uint8Array(readFileSync(new URL(`../../../packages/nde/model/${NDE_V2_MODEL_FILE}`, import.meta.url)));

describe('the shipped v2 model', () => {
  it('regenerates byte for byte', () => {
    expect(bytesToHex(buildShippedModelV2())).toBe(bytesToHex(shippedV2));
  });
  it('hashes to the pinned v2 model id (NDE_MODELS[2].idHex, literal here too)', () => {
    const pinned = '7fbcc41f747b058781f879a765a3d615f9c2aa80029b13373a7d7328c6c308c7';
    expect(bytesToHex(sha256(shippedV2))).toBe(pinned);
    expect(NDE_MODELS[2].idHex).toBe(pinned);
    expect(NDE_MODELS[2].file).toBe(NDE_V2_MODEL_FILE);
  });
  it('leaves the v1 model as it was (v1 id literal)', () => {
    expect(bytesToHex(sha256(buildShippedModel()))).toBe('07c6c981fb907b915a238919e1aa8690e50676345b41308ca3099474cbaa877a');
  });
  it('is deterministic, and depends on every shape parameter; the step must be a multiple of the state', () => {
    expect(buildNdeV2Model({ ...NDE_V2_SHAPE })).toEqual(buildShippedModelV2());
    for (const change of [{ state: 32 }, { hidden: 128 }, { step: 256 }, { mix: 0x9e3779b3 }, { shift: 23 }, { version: 'v3' }]) {
      expect(bytesToHex(buildNdeV2Model({ ...NDE_V2_SHAPE, ...change }))).not.toBe(bytesToHex(shippedV2));
    }
    expect(() => buildNdeV2Model({ ...NDE_V2_SHAPE, step: 500 })).toThrow(RangeError);
  });
  it('carries no weights: weights and zero points are inputs, it outputs the final state, and uses no ReduceSum', () => {
    expect(shippedV2.length).toBeLessThan(4096);
    const text = new TextDecoder('latin1').decode(shippedV2);
    for (const name of ['MatMulInteger', 'Scan', 'BitShift', 'Split', 'If', 'w1', 'z1', 'w2', 'z2', 'iv', 'decrypt', 'state']) expect(text).toContain(name);
    expect(text).not.toContain('ReduceSum'); // saturates in onnxruntime 1.30 (DESIGN.md section 3)
  });
});

describe('protobuf writer (wire format)', () => {
  it('encodes varints, including 64-bit negative values in ten bytes', () => {
    expect(bytesToHex(new ProtoWriter().int(1, 0).finish())).toBe('0800');
    expect(bytesToHex(new ProtoWriter().int(1, 150).finish())).toBe('089601'); // protobuf docs example
    expect(bytesToHex(new ProtoWriter().int(2, 300).finish())).toBe('10ac02');
    expect(bytesToHex(new ProtoWriter().int(1, -1).finish())).toBe('08ffffffffffffffffff01');
    expect(bytesToHex(new ProtoWriter().int(1, 2n ** 63n - 1n).finish())).toBe('08ffffffffffffffff7f');
  });
  it('encodes strings, bytes, packed repeated ints and nested messages as length-delimited fields', () => {
    expect(bytesToHex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67'); // protobuf docs
    expect(bytesToHex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705'); // protobuf docs
    expect(bytesToHex(new ProtoWriter().message(3, new ProtoWriter().int(1, 150)).finish())).toBe('1a03089601'); // protobuf docs
    expect(bytesToHex(new ProtoWriter().bytes(1, new Uint8Array(0)).finish())).toBe('0a00');
  });
});
