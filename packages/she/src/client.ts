// The data owner's side: encrypt fields (record or column layout) and decrypt results into numbers.
import { fail } from './errors.js';
import { checkCiphertext, type HeCiphertext, type HeValueInfo } from './format.js';
import { HeKeySet } from './keys.js';
import type { HePreset, PresetContext } from './params.js';
import { checkPath, fromScaled, toScaled, type FieldSpec, type HeSchema } from './schema.js';
import { sealCall, scoped } from './seal.js';
import { loadCiphertext, saveCiphertext } from './_io.js';
import type { Decryptor } from 'node-seal/implementation/decryptor.js';
import type { Encryptor } from 'node-seal/implementation/encryptor.js';
import type { PlainText } from 'node-seal/implementation/plain-text.js';

/** A mean as the evaluator returns it: the encrypted sum and the (public) number of records. */
export interface HeMean {
  readonly sum: HeCiphertext;
  readonly count: number;
}

/**
 * Encrypts and decrypts for one key set and schema. Encryption is SEAL's secret-key ("symmetric")
 * encryption in seeded form: half the size of public-key encryption.
 *
 * @example
 * ```ts
 * const schema = defineSchema([{ path: 'age', type: 'integer', min: 0, max: 130 }]);
 * const keys = await HeKeySet.generate('bfv-n4096');
 * const client = await HeClient.create(keys, schema);
 * const columns = client.encryptColumn('age', [34, 51, 27]);
 * // ... server: const total = evaluator.sum(columns, 'age');
 * client.decrypt(total); // [112]
 * ```
 */
export class HeClient {
  readonly keyId: string;
  readonly preset: HePreset;
  readonly schema: HeSchema;
  #pc: PresetContext;
  #enc: Encryptor | undefined;
  #dec: Decryptor | undefined;

  private constructor(keys: HeKeySet, schema: HeSchema, pc: PresetContext, enc: Encryptor, dec: Decryptor) {
    this.keyId = keys.keyId;
    this.preset = keys.preset;
    this.schema = schema;
    this.#pc = pc;
    this.#enc = enc;
    this.#dec = dec;
  }

  /**
   * @param keys the owner's key set (an `EvaluationBundle` is refused: it cannot decrypt)
   * @param schema from `defineSchema`; its scheme must match the key set's preset
   * @throws NqcSheError `ERR_SHE_KEY_KIND`, `ERR_SHE_SCHEMA`
   */
  static async create(keys: HeKeySet, schema: HeSchema): Promise<HeClient> {
    const { sk, pc } = HeKeySet._secret(keys);
    if (!schema || !Array.isArray(schema.fields)) fail('ERR_SHE_SCHEMA', 'schema expected (use defineSchema)');
    if (schema.scheme !== pc.preset.scheme)
      fail('ERR_SHE_SCHEMA', `schema needs ${schema.scheme.toUpperCase()} but the key set is ${pc.preset.id}`);
    if (pc.preset.scheme === 'bfv' && schema.fields.length > pc.preset.slots) fail('ERR_SHE_SCHEMA', 'too many fields for one record ciphertext');
    if (pc.preset.scheme === 'ckks' && schema.fields.length > pc.preset.slots) fail('ERR_SHE_SCHEMA', 'too many fields for one record ciphertext');
    const half = (pc.preset.plainModulus - 1n) / 2n;
    for (const f of schema.fields) {
      if (f.type === 'real') continue;
      const d = f.decimals ?? 0;
      const lo = toScaled(f.min, d, f.path, 'ERR_SHE_SCHEMA');
      const hi = toScaled(f.max, d, f.path, 'ERR_SHE_SCHEMA');
      if (-lo > half || hi > half) fail('ERR_SHE_SCHEMA', `field "${f.path}": range does not fit the plain modulus of ${pc.preset.id}`);
    }
    const { enc, dec } = sealCall('creating encryptor', () => {
      const pk = pc.seal.PublicKey();
      try {
        pk.loadArray(pc.context, keys.publicKey);
        return { enc: pc.seal.Encryptor(pc.context, pk, sk), dec: pc.seal.Decryptor(pc.context, sk) };
      } finally {
        pk.delete();
      }
    });
    return new HeClient(keys, schema, pc, enc, dec);
  }

  /** The schema entry for `path`. @throws NqcSheError `ERR_SHE_SCHEMA` */
  field(path: string): FieldSpec {
    const f = this.schema.fields.find((x) => x.path === path);
    if (!f) fail('ERR_SHE_SCHEMA', `unknown field "${String(path).slice(0, 64)}"`);
    return f;
  }

  /**
   * Encrypts one record's fields into one ciphertext (record layout: field i in slot i).
   * Every schema field must be present and in range; unknown keys are refused.
   * @param record field path → value in user units
   * @param options.path the record's path in the document (default `"record"`)
   * @throws NqcSheError `ERR_SHE_SCHEMA` (missing/unknown field), `ERR_SHE_RANGE`
   */
  encryptRecord(record: Readonly<Record<string, number>>, options: { path?: string } = {}): HeCiphertext {
    if (typeof record !== 'object' || record === null) fail('ERR_SHE_INPUT', 'record expected an object');
    const path = checkPath(options.path ?? 'record');
    for (const k of Object.keys(record)) this.field(k);
    const values: number[] = [];
    const infos: HeValueInfo[] = [];
    this.schema.fields.forEach((f, i) => {
      if (!Object.hasOwn(record, f.path)) fail('ERR_SHE_SCHEMA', `record lacks field "${f.path}"`);
      values.push(record[f.path]!);
      infos.push(this.#info(f, i, 1));
    });
    const cts = this.#encryptSlots(this.schema.fields, values, true);
    return this.#wrap(path, 'record', 1, infos, cts);
  }

  /**
   * Encrypts one field of many records, column-packed: each ciphertext holds up to `preset.slots`
   * records' values of this field, in order. This is the fast, compact layout.
   * @returns one ciphertext per `preset.slots` values
   * @throws NqcSheError `ERR_SHE_SCHEMA`, `ERR_SHE_RANGE`, `ERR_SHE_INPUT` (empty)
   */
  encryptColumn(path: string, values: readonly number[]): HeCiphertext[] {
    const f = this.field(path);
    if (!Array.isArray(values) || values.length === 0) fail('ERR_SHE_INPUT', '"values" expected a non-empty array');
    const out: HeCiphertext[] = [];
    const n = this.preset.slots;
    for (let off = 0; off < values.length; off += n) {
      const chunk = values.slice(off, off + n);
      const ct = this.#encryptSlots(
        chunk.map(() => f),
        chunk,
        false,
      );
      out.push(this.#wrap(f.path, 'column', chunk.length, [this.#info(f, 0, chunk.length)], ct));
    }
    return out;
  }

  /**
   * Decrypts a field or result into numbers in user units, run by run in `ct.values` order
   * (a column gives one number per record; a sum gives one number). BFV values beyond 2^53 lose
   * precision as numbers: use {@link HeClient.decryptExact}.
   * @throws NqcSheError `ERR_SHE_KEY_MISMATCH` (other key or parameters), `ERR_SHE_FORMAT`,
   *   `ERR_SHE_DECRYPT` (noise budget exhausted, or a value outside its proved bounds)
   */
  decrypt(ct: HeCiphertext): number[] {
    if (this.preset.scheme === 'ckks') return this.#decryptCkks(ct);
    const exact = this.decryptExact(ct);
    const out: number[] = [];
    let i = 0;
    for (const v of ct.values) for (let j = 0; j < v.length; j++) out.push(fromScaled(exact[i++]!, v.decimals));
    return out;
  }

  /** BFV: decrypts to the exact scaled integers (value × 10^decimals), run by run. */
  decryptExact(ct: HeCiphertext): bigint[] {
    if (this.preset.scheme !== 'bfv') fail('ERR_SHE_UNSUPPORTED', 'decryptExact is for BFV ciphertexts');
    const pc = this.#pc;
    const dec = this.#live().dec;
    this.#check(ct);
    return sealCall('decryption', () =>
      scoped((s) => {
        const c = loadCiphertext(pc, ct.ciphertext, s);
        if (dec.invariantNoiseBudget(c) <= 0) fail('ERR_SHE_DECRYPT', 'decryption failed: noise budget exhausted');
        const pt = s.add(pc.seal.PlainText());
        dec.decrypt(c, pt);
        const slots = pc.batch!.decodeBigInt(pt, true) as BigInt64Array;
        const out: bigint[] = [];
        for (const v of ct.values) {
          for (let j = 0; j < v.length; j++) {
            const x = slots[v.slot + j]!;
            if (x < (v.min as bigint) || x > (v.max as bigint))
              fail('ERR_SHE_DECRYPT', 'decryption failed: a value lies outside its proved bounds');
            out.push(x);
          }
        }
        return out;
      }),
    );
  }

  /** Decrypts a record-layout field ciphertext into `{ path: value }`. */
  decryptRecord(ct: HeCiphertext): Record<string, number> {
    if (ct.layout !== 'record' || ct.kind !== 'field') fail('ERR_SHE_INPUT', 'decryptRecord expects a record-layout field ciphertext');
    const vals = this.decrypt(ct);
    const out: Record<string, number> = {};
    ct.values.forEach((v, i) => (out[v.path] = vals[i]!));
    return out;
  }

  /** Divides a decrypted sum by its record count (the owner's half of `mean`). */
  decryptMean(mean: HeMean): number {
    if (!mean || !Number.isSafeInteger(mean.count) || mean.count < 1) fail('ERR_SHE_INPUT', 'mean expected { sum, count >= 1 }');
    if (mean.sum.count !== mean.count) fail('ERR_SHE_INPUT', 'mean: count does not match the sum it belongs to');
    const v = this.decrypt(mean.sum);
    if (v.length !== 1) fail('ERR_SHE_INPUT', 'mean: the sum must hold one value');
    return v[0]! / mean.count;
  }

  /** BFV: remaining noise budget in bits (owner-side diagnostics; 0 means undecryptable). */
  noiseBudget(ct: HeCiphertext): number {
    if (this.preset.scheme !== 'bfv') fail('ERR_SHE_UNSUPPORTED', 'noise budget is a BFV notion');
    const pc = this.#pc;
    const dec = this.#live().dec;
    this.#check(ct);
    return sealCall('noise budget', () =>
      scoped((s) => {
        const c = loadCiphertext(pc, ct.ciphertext, s);
        return dec.invariantNoiseBudget(c);
      }),
    );
  }

  /** Frees the encryptor and decryptor. The key set stays usable (dispose it separately). */
  dispose(): void {
    this.#enc?.delete();
    this.#dec?.delete();
    this.#enc = undefined;
    this.#dec = undefined;
  }

  #live(): { enc: Encryptor; dec: Decryptor } {
    if (!this.#enc || !this.#dec) fail('ERR_SHE_DISPOSED', 'client was disposed');
    return { enc: this.#enc, dec: this.#dec };
  }

  #check(ct: HeCiphertext): void {
    checkCiphertext(ct);
    if (ct.keyId !== this.keyId || ct.paramsId !== this.preset.id)
      fail('ERR_SHE_KEY_MISMATCH', 'ciphertext was made with another key set or parameter set');
  }

  #info(f: FieldSpec, slot: number, length: number): HeValueInfo {
    const d = f.decimals ?? 0;
    const bfv = f.type !== 'real';
    return Object.freeze({
      path: f.path,
      type: f.type,
      decimals: d,
      slot,
      length,
      min: bfv ? toScaled(f.min, d, f.path) : f.min,
      max: bfv ? toScaled(f.max, d, f.path) : f.max,
    });
  }

  #encryptSlots(fields: readonly FieldSpec[], values: readonly number[], record: boolean): Uint8Array {
    const { enc } = this.#live();
    const pc = this.#pc;
    const n = this.preset.slots;
    let data: BigInt64Array | Float64Array;
    if (this.preset.scheme === 'bfv') {
      const a = new BigInt64Array(n);
      values.forEach((v, i) => {
        const f = fields[i]!;
        const what = record ? `field "${f.path}"` : `field "${f.path}" record ${i}`;
        const x = toScaled(v, f.decimals ?? 0, what);
        if (x < toScaled(f.min, f.decimals ?? 0, f.path) || x > toScaled(f.max, f.decimals ?? 0, f.path))
          fail('ERR_SHE_RANGE', `${what}: ${v} outside [${f.min}, ${f.max}]`);
        a[i] = x;
      });
      data = a;
    } else {
      const a = new Float64Array(n);
      values.forEach((v, i) => {
        const f = fields[i]!;
        const what = record ? `field "${f.path}"` : `field "${f.path}" record ${i}`;
        if (typeof v !== 'number' || !Number.isFinite(v)) fail('ERR_SHE_RANGE', `${what}: expected a finite number`);
        if (v < f.min || v > f.max) fail('ERR_SHE_RANGE', `${what}: ${v} outside [${f.min}, ${f.max}]`);
        a[i] = v;
      });
      data = a;
    }
    return sealCall('encryption', () =>
      scoped((s) => {
        const pt: PlainText = s.add(pc.seal.PlainText());
        if (pc.batch) pc.batch.encode(data as BigInt64Array, pt);
        else pc.ckks!.encode(data as Float64Array, 2 ** this.preset.scaleBits, pt);
        return saveCiphertext(pc, s.add(enc.encryptSymmetricSerializable(pt)));
      }),
    );
  }

  #wrap(path: string, layout: 'record' | 'column', count: number, values: HeValueInfo[], ciphertext: Uint8Array): HeCiphertext {
    return Object.freeze({
      kind: 'field',
      op: 'encrypt',
      path,
      scheme: this.preset.scheme,
      paramsId: this.preset.id,
      keyId: this.keyId,
      layout,
      count,
      values: Object.freeze(values),
      scaleBits: this.preset.scheme === 'ckks' ? this.preset.scaleBits : 0,
      ciphertext,
    });
  }

  #decryptCkks(ct: HeCiphertext): number[] {
    const pc = this.#pc;
    const dec = this.#live().dec;
    this.#check(ct);
    return sealCall('decryption', () =>
      scoped((s) => {
        const c = loadCiphertext(pc, ct.ciphertext, s);
        const pt = s.add(pc.seal.PlainText());
        dec.decrypt(c, pt);
        const slots = pc.ckks!.decode(pt);
        const out: number[] = [];
        for (const v of ct.values) {
          const lo = v.min as number;
          const hi = v.max as number;
          // Generous: CKKS noise is far smaller; a value this far out means garbage or tampering.
          const tol = 1e-3 * Math.max(1, Math.abs(lo), Math.abs(hi));
          for (let j = 0; j < v.length; j++) {
            const x = slots[v.slot + j]!;
            if (!(x >= lo - tol && x <= hi + tol)) fail('ERR_SHE_DECRYPT', 'decryption failed: a value lies outside its proved bounds');
            out.push(x);
          }
        }
        return out;
      }),
    );
  }
}
