// The server's side: aggregate encrypted fields with only an EvaluationBundle (no secret key exists here).
//
// Every operation first proves, from the inputs' declared bounds and a conservative noise model, that
// the result fits the plain modulus (BFV) or the modulus left at the result's level (CKKS) and that
// the noise budget lasts; only then does it touch SEAL. Nothing wraps silently.
import { fail } from './errors.js';
import { checkCiphertext, type HeCiphertext, type HeLayout, type HeOp, type HeValueInfo } from './format.js';
import type { HeMean } from './client.js';
import { EvaluationBundle, columnSumSteps } from './keys.js';
import { presetContext, type HePreset, type PresetContext } from './params.js';
import type { FieldType } from './schema.js';
import { Scope, sealCall, scoped } from './seal.js';
import { loadCiphertext, saveCiphertext } from './_io.js';
import { checkPacked } from './_sealct.js';
import { noteRunning, runningOf, type RunningSum } from './_running.js';
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { Encryptor } from 'node-seal/implementation/encryptor.js';
import type { GaloisKeys } from 'node-seal/implementation/galois-keys.js';
import type { RelinKeys } from 'node-seal/implementation/relin-keys.js';

/**
 * The BFV noise model, in bits of SEAL's invariant noise budget. Costs measured with node-seal 6.0.3
 * (README, Parameters) and rounded up:
 * - adding k ciphertexts: ceil(log2 k);
 * - rotate-and-add over all N slots: log2 N + 3 (measured log2 N + 1 at N=4096, + 3 at N=8192);
 * - multiplying by a plaintext vector (arbitrary slot values): log2 t + log2(N)/2 + 3;
 * - multiplying by a scalar w: ceil(log2(|w| + 1)) + 1;
 * - ciphertext × ciphertext + relinearisation: log2 t + log2 N + 4;
 * - one rotation (key switch): 2.
 * An operation is refused unless at least MIN_BUDGET bits are predicted to remain.
 */
export const NOISE_MODEL = Object.freeze({ minBudget: 2, rotationSumExtra: 3, plainVectorExtra: 3, multiplyExtra: 4, rotation: 2 });

const log2ceil = (x: number): number => (x <= 1 ? 0 : Math.ceil(Math.log2(x)));

interface Selected {
  readonly layout: HeLayout;
  readonly info: HeValueInfo;
  readonly items: readonly HeCiphertext[];
  readonly total: number;
}

/**
 * Computes on encrypted fields with an {@link EvaluationBundle}. Results are {@link HeCiphertext}s of
 * kind `result` that only the key owner can decrypt (`HeClient.decrypt`).
 *
 * @example
 * ```ts
 * const evaluator = await HeEvaluator.create(await EvaluationBundle.decode(bundleBytes));
 * const total = evaluator.sum(columns, 'amount');   // encrypted
 * const avg = evaluator.mean(columns, 'amount');    // { sum, count }: the owner divides
 * ```
 */
export class HeEvaluator {
  readonly keyId: string;
  readonly preset: HePreset;
  readonly galoisSteps: readonly number[];
  /** `sum` and `mean` continue an earlier `sum` passed as their first input (see `sum`); read by `@nqc/core`'s `aggregate`. */
  readonly runningSums = true as const;
  #pc: PresetContext;
  #scope: Scope | undefined;
  #rk: RelinKeys | undefined;
  #gk: GaloisKeys | undefined;
  #zeroEnc: Encryptor;
  #half: bigint;

  private constructor(bundle: EvaluationBundle, pc: PresetContext, scope: Scope, rk: RelinKeys | undefined, gk: GaloisKeys | undefined, zeroEnc: Encryptor) {
    this.keyId = bundle.keyId;
    this.preset = bundle.preset;
    this.galoisSteps = bundle.galoisSteps;
    this.#pc = pc;
    this.#scope = scope;
    this.#rk = rk;
    this.#gk = gk;
    this.#zeroEnc = zeroEnc;
    this.#half = (bundle.preset.plainModulus - 1n) / 2n;
  }

  /**
   * Loads a bundle's keys into SEAL. Only an `EvaluationBundle` is accepted: a key set (secret key)
   * is refused with `ERR_SHE_KEY_KIND`.
   * @throws NqcSheError `ERR_SHE_KEY_KIND`, `ERR_SHE_FORMAT` (keys SEAL rejects)
   */
  static async create(bundle: EvaluationBundle): Promise<HeEvaluator> {
    if (!(bundle instanceof EvaluationBundle)) fail('ERR_SHE_KEY_KIND', 'an EvaluationBundle is required (never a secret key set)');
    const pc = await presetContext(bundle.preset);
    const scope = new Scope();
    try {
      const { seal, context } = pc;
      const pkObj = sealCall(
        'loading the public key',
        () => {
          const k = scope.add(seal.PublicKey());
          k.loadArray(context, bundle.publicKey);
          return k;
        },
        'ERR_SHE_FORMAT',
      );
      const zeroEnc = sealCall('creating encryptor', () => scope.add(seal.Encryptor(context, pkObj)));
      const rk = bundle.relinKeys
        ? sealCall(
            'loading relinearisation keys',
            () => {
              const k = scope.add(seal.RelinKeys());
              k.loadArray(context, bundle.relinKeys!);
              return k;
            },
            'ERR_SHE_FORMAT',
          )
        : undefined;
      const gk = bundle.galoisKeys
        ? sealCall(
            'loading Galois keys',
            () => {
              const k = scope.add(seal.GaloisKeys());
              k.loadArray(context, bundle.galoisKeys!);
              return k;
            },
            'ERR_SHE_FORMAT',
          )
        : undefined;
      return new HeEvaluator(bundle, pc, scope, rk, gk, zeroEnc);
    } catch (e) {
      scope.free();
      throw e;
    }
  }

  /** Number of records the inputs cover (public: the server knows how many records it holds). */
  count(inputs: Iterable<HeCiphertext>): number {
    let n = 0;
    for (const ct of inputs) {
      this.#own(ct);
      n += ct.count;
    }
    return n;
  }

  /**
   * Encrypted sum of field `path` over all records of `inputs` (all column-packed, or all record layout).
   *
   * Running sums: the FIRST input may be an earlier `sum` result of the same field, the very object
   * an evaluator of this process returned (`HeEvaluator` or `HeWorkerEvaluator`; a copy, an edited
   * object or one decoded from bytes is refused, since a result's count and bounds are not
   * authenticated). The new inputs are added to it, so a server folds inputs in a few at a time and
   * keeps one ciphertext (constant memory). The result decrypts to what one call over all the
   * inputs gives, with the same count and bounds, and the same overflow and noise checks: the
   * noise model counts every fresh input folded in so far. Inputs of another layout, field, slot or
   * range are refused as in one call.
   * @throws NqcSheError `ERR_SHE_OVERFLOW`, `ERR_SHE_NOISE_BUDGET`, `ERR_SHE_KEY_MISMATCH`,
   *   `ERR_SHE_UNSUPPORTED` (missing rotation keys; a result that is not a continuable sum),
   *   `ERR_SHE_SCHEMA` (inputs disagree on the field)
   */
  sum(inputs: Iterable<HeCiphertext>, path: string): HeCiphertext {
    const { prev, rest } = this.#splitRunning(inputs);
    if (prev && !runningOf(prev)) fail('ERR_SHE_UNSUPPORTED', 'results cannot be fed back into an operation, except an earlier sum (the object an evaluator returned) continued as the first input');
    const sel = this.#select(rest, path);
    const name = `sum(${path})`;
    const run = prev ? this.#continued(prev, name, sel) : undefined;
    const { info } = sel;
    const total = sel.total + (prev ? prev.count : 0);
    if (total > 0xffffffff) fail('ERR_SHE_INPUT', 'too many records');
    const k = sel.items.length + (run ? run.inputs : 0);
    const bounds = this.#scaleBounds(info, BigInt(total), total);
    this.#checkBudget(this.preset.freshNoiseBudget - log2ceil(k) - this.#rotCost(sel), 'sum');
    this.#checkFits(bounds, this.#pc.levelBits[0]!, 'sum');
    const out = this.#run(
      sel,
      'sum',
      name,
      info.type,
      info.decimals,
      bounds,
      (ev, c, acc) => {
        if (!acc) return c;
        ev.add(acc, c, acc);
        return acc;
      },
      false,
      prev ? { ct: prev, count: total } : undefined,
    );
    noteRunning(out, { inputs: k, layout: sel.layout, field: info });
    return out;
  }

  /**
   * Slot-wise sum of column-packed field `path`: adds the input ciphertexts and nothing else (no
   * rotation, so no Galois keys are needed: an evaluation bundle made with `columnSums: false` does).
   * Slot j of the result holds the sum of slot j of every input; the owner decrypts the slots
   * (`HeClient.decryptExact` or `decrypt`, one value per slot, `length` = the largest input count)
   * and adds them up locally. The answer is one ciphertext whatever the number of inputs; what the
   * server learns is the same as for `sum` (nothing of the values). Used for histograms (one 0/1
   * indicator field per bin) and grouped sums (one field per group, zero outside it).
   *
   * Running sums: the FIRST input may be an earlier `sumSlots` result of the same field (path
   * `slots(<path>)`, from this key set); the new inputs are added to it, so a server can fold
   * envelopes in one at a time and keep one ciphertext per field (constant memory). The result is
   * the one a single call over all the inputs would give (same bounds, count and length). As for
   * `sum`, the earlier result must be the very (frozen) object an evaluator of this process
   * returned (`HeEvaluator` or `HeWorkerEvaluator`): its bounds and count are unauthenticated plain
   * data, so a copy, an edited object or one decoded from bytes is refused (`ERR_SHE_UNSUPPORTED`);
   * the bounds and noise check come from what this process recorded (fresh inputs folded in so far,
   * the field's range), never from the object's metadata.
   * @throws NqcSheError `ERR_SHE_OVERFLOW` (a slot could exceed the plain modulus bound),
   *   `ERR_SHE_NOISE_BUDGET`, `ERR_SHE_KEY_MISMATCH`, `ERR_SHE_SCHEMA`, `ERR_SHE_UNSUPPORTED` (record layout)
   */
  sumSlots(inputs: Iterable<HeCiphertext>, path: string): HeCiphertext {
    if (inputs === null || typeof inputs !== 'object' || typeof (inputs as Iterable<HeCiphertext>)[Symbol.iterator] !== 'function')
      fail('ERR_SHE_INPUT', '"inputs" expected an iterable of ciphertexts');
    const all = [...inputs];
    const prev = all[0]?.kind === 'result' ? all.shift() : undefined;
    const sel = this.#select(all, path);
    if (sel.layout !== 'column') fail('ERR_SHE_UNSUPPORTED', 'sumSlots needs column-packed inputs (record layout: use sum, which needs no rotation there)');
    const { info } = sel;
    const name = `slots(${path})`;
    const before = prev ? this.#slotSumOf(prev, name, info) : undefined;
    // Fresh inputs folded in so far (the earlier result's, as recorded when it was returned).
    const k = sel.items.length + (before ? before.run.inputs : 0);
    // Each slot receives at most one value per input; unused slots of a short column are zero.
    const bfv = this.preset.scheme === 'bfv';
    const bounds: [bigint | number, bigint | number] = bfv
      ? [BigInt(k) * ((info.min as bigint) < 0n ? (info.min as bigint) : 0n), BigInt(k) * ((info.max as bigint) > 0n ? (info.max as bigint) : 0n)]
      : [k * Math.min(info.min as number, 0), k * Math.max(info.max as number, 0)];
    this.#checkBudget(this.preset.freshNoiseBudget - log2ceil(k), 'slot-wise sum');
    this.#checkFits(bounds, this.#pc.levelBits[0]!, 'slot-wise sum');
    const length = sel.items.reduce((m, c) => Math.max(m, c.count), before ? before.v.length : 0);
    const items = prev ? [prev, ...sel.items] : sel.items;
    const pc = this.#pc;
    return sealCall('sum', () =>
      scoped((outer) => {
        const acc = outer.add(pc.seal.CipherText());
        let first = true;
        for (const item of items) {
          const s = new Scope();
          try {
            const c = this.#load(item, s);
            if (first) acc.move(c);
            else pc.evaluator.add(acc, c, acc);
            first = false;
          } finally {
            s.free();
          }
        }
        const out: HeValueInfo = Object.freeze({ path: name, type: info.type, decimals: info.decimals, slot: 0, length, min: bounds[0], max: bounds[1] });
        const res = this.#result(sel.items[0]!, 'sum', name, sel.total + (prev ? prev.count : 0), out, acc);
        noteRunning(res, { inputs: k, layout: 'column', field: info });
        return res;
      }),
    );
  }

  /**
   * Encrypted sum and public count: the owner divides (`HeClient.decryptMean`). Same checks as `sum`;
   * like `sum`, the first input may be an earlier result's `sum` (a running mean).
   */
  mean(inputs: Iterable<HeCiphertext>, path: string): HeMean {
    const items = [...inputs];
    const sum = this.sum(items, path);
    return Object.freeze({ sum, count: sum.count });
  }

  /**
   * Encrypted Σ wᵢ·xᵢ with plaintext weights, one per record in input order. BFV weights must be safe
   * integers (the result keeps the field's decimals); CKKS weights are finite numbers.
   * Column layout multiplies by a weight vector, which costs log2 t + ~8 bits of noise: on `bfv-n4096`
   * that exceeds the budget and is refused; the record layout multiplies by scalars and is cheap.
   */
  weightedSum(inputs: Iterable<HeCiphertext>, path: string, weights: readonly number[]): HeCiphertext {
    const sel = this.#select(inputs, path);
    const { info, total } = sel;
    if (!Array.isArray(weights) || weights.length !== total)
      fail('ERR_SHE_INPUT', `"weights" expected ${total} numbers (one per record), got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    const bfv = this.preset.scheme === 'bfv';
    for (const w of weights)
      if (typeof w !== 'number' || !Number.isFinite(w) || (bfv && !Number.isSafeInteger(w)))
        fail('ERR_SHE_INPUT', `weights must be ${bfv ? 'safe integers' : 'finite numbers'}`);
    let bounds: [bigint | number, bigint | number];
    if (bfv) {
      let lo = 0n;
      let hi = 0n;
      const mn = info.min as bigint;
      const mx = info.max as bigint;
      for (const w of weights) {
        const b = BigInt(w);
        lo += b >= 0n ? b * mn : b * mx;
        hi += b >= 0n ? b * mx : b * mn;
      }
      bounds = [lo, hi];
      const maxW = weights.reduce((m, w) => Math.max(m, Math.abs(w)), 0);
      const cost =
        sel.layout === 'column'
          ? log2ceil(Number(this.preset.plainModulus)) + Math.log2(this.preset.polyModulusDegree) / 2 + NOISE_MODEL.plainVectorExtra
          : log2ceil(maxW + 1) + 1;
      this.#checkBudget(this.preset.freshNoiseBudget - cost - log2ceil(sel.items.length) - this.#rotCost(sel), 'weighted sum');
    } else {
      let lo = 0;
      let hi = 0;
      for (const w of weights) {
        lo += w >= 0 ? w * (info.min as number) : w * (info.max as number);
        hi += w >= 0 ? w * (info.max as number) : w * (info.min as number);
      }
      bounds = [lo, hi];
      this.#checkLevels(1, 'weighted sum');
    }
    this.#checkFits(bounds, this.#pc.levelBits[bfv ? 0 : 1]!, 'weighted sum');
    const pc = this.#pc;
    let offset = 0;
    return this.#run(
      sel,
      'weighted-sum',
      `wsum(${path})`,
      info.type,
      info.decimals,
      bounds,
      (ev, c, acc, item, s) => {
        const ws = weights.slice(offset, offset + item.count);
        offset += item.count;
        if (ws.every((w) => w === 0)) return acc; // SEAL refuses products that are exactly zero (transparent)
        const pt = s.add(pc.seal.PlainText());
        if (sel.layout === 'column') {
          if (bfv) {
            const a = new BigInt64Array(this.preset.slots);
            ws.forEach((w, i) => (a[i] = BigInt(w)));
            pc.batch!.encode(a, pt);
          } else {
            const a = new Float64Array(this.preset.slots);
            a.set(ws);
            pc.ckks!.encode(a, 2 ** this.preset.scaleBits, pt);
          }
          ev.multiplyPlain(c, pt, c);
        } else {
          const w = ws[0]!;
          if (bfv) {
            // A negative scalar encodes as t - |w|, a huge plaintext: multiply by |w| and negate instead.
            pc.batch!.encode(new BigInt64Array(this.preset.slots).fill(BigInt(Math.abs(w))), pt);
            ev.multiplyPlain(c, pt, c);
            if (w < 0) ev.negate(c, c);
          } else {
            pc.ckks!.encode(new Float64Array(this.preset.slots).fill(w), 2 ** this.preset.scaleBits, pt);
            ev.multiplyPlain(c, pt, c);
          }
        }
        if (!acc) return c;
        ev.add(acc, c, acc);
        return acc;
      },
      true,
    );
  }

  /**
   * Encrypted Σ xᵢ² of field `path` (with `sum` and `count`, the owner gets the variance).
   * Needs a preset with a multiplication (`bfv-n8192`, `ckks-n8192`) and relinearisation keys.
   */
  sumOfSquares(inputs: Iterable<HeCiphertext>, path: string): HeCiphertext {
    const sel = this.#select(inputs, path);
    const { info, total } = sel;
    this.#needMultiply('sum of squares');
    const bfv = this.preset.scheme === 'bfv';
    let bounds: [bigint | number, bigint | number];
    if (bfv) {
      const mn = info.min as bigint;
      const mx = info.max as bigint;
      const hiSq = mn * mn > mx * mx ? mn * mn : mx * mx;
      const loSq = mn <= 0n && mx >= 0n ? 0n : mn * mn < mx * mx ? mn * mn : mx * mx;
      bounds = [loSq * BigInt(total), hiSq * BigInt(total)];
      this.#checkBudget(this.preset.freshNoiseBudget - this.#mulCost() - log2ceil(sel.items.length) - this.#rotCost(sel), 'sum of squares');
    } else {
      const mn = info.min as number;
      const mx = info.max as number;
      const hiSq = Math.max(mn * mn, mx * mx);
      const loSq = mn <= 0 && mx >= 0 ? 0 : Math.min(mn * mn, mx * mx);
      bounds = [loSq * total, hiSq * total];
      this.#checkLevels(1, 'sum of squares');
    }
    this.#checkFits(bounds, this.#pc.levelBits[bfv ? 0 : 1]!, 'sum of squares');
    return this.#run(
      sel,
      'sum-of-squares',
      `sumsq(${path})`,
      info.type,
      info.decimals * 2,
      bounds,
      (ev, c, acc) => {
        ev.square(c, c);
        ev.relinearize(c, this.#rk!, c);
        if (!acc) return c;
        ev.add(acc, c, acc);
        return acc;
      },
      true,
    );
  }

  /**
   * Per-record encrypted product of fields `a` and `b`, relinearised. Column layout: the i-th column
   * of `a` pairs with the i-th column of `b` among `inputs` (same counts); one result column per pair.
   * Record layout: one result per record, read at field `a`'s slot (needs the rotation key from `b`'s
   * slot to `a`'s, see `BundleOptions.recordProducts`).
   */
  product(inputs: Iterable<HeCiphertext>, a: string, b: string): HeCiphertext[] {
    const all = [...inputs];
    const bfv = this.preset.scheme === 'bfv';
    this.#needMultiply('product');
    for (const ct of all) this.#own(ct);
    const layout = all[0]?.layout;
    if (!layout) fail('ERR_SHE_INPUT', 'no inputs');
    let pairs: [HeCiphertext, HeCiphertext][];
    let ia: HeValueInfo;
    let ib: HeValueInfo;
    if (layout === 'column') {
      const sa = this.#select(all.filter((c) => c.path === a), a);
      const sb = this.#select(all.filter((c) => c.path === b), b);
      if (sa.items.length !== sb.items.length) fail('ERR_SHE_INPUT', `product: ${sa.items.length} columns of "${a}" but ${sb.items.length} of "${b}"`);
      pairs = sa.items.map((x, i) => {
        if (x.count !== sb.items[i]!.count) fail('ERR_SHE_INPUT', `product: column ${i} of "${a}" and "${b}" hold different record counts`);
        return [x, sb.items[i]!];
      });
      ia = sa.info;
      ib = sb.info;
    } else {
      const sa = this.#select(all, a);
      const sb = this.#select(all, b);
      ia = sa.info;
      ib = sb.info;
      pairs = all.map((x) => [x, x]);
      const step = ib.slot - ia.slot;
      const half = bfv ? this.preset.slots / 2 : this.preset.slots;
      if (step !== 0 && (ia.slot >= half || ib.slot >= half || !this.galoisSteps.includes(step)))
        fail('ERR_SHE_UNSUPPORTED', `product: the bundle lacks the rotation key for step ${step} (BundleOptions.recordProducts)`);
    }
    let bounds: [bigint | number, bigint | number];
    if (bfv) {
      const c = [(ia.min as bigint) * (ib.min as bigint), (ia.min as bigint) * (ib.max as bigint), (ia.max as bigint) * (ib.min as bigint), (ia.max as bigint) * (ib.max as bigint)];
      bounds = [c.reduce((m, x) => (x < m ? x : m)), c.reduce((m, x) => (x > m ? x : m))];
      this.#checkBudget(this.preset.freshNoiseBudget - this.#mulCost() - (layout === 'record' ? NOISE_MODEL.rotation : 0), 'product');
    } else {
      const c = [(ia.min as number) * (ib.min as number), (ia.min as number) * (ib.max as number), (ia.max as number) * (ib.min as number), (ia.max as number) * (ib.max as number)];
      bounds = [Math.min(...c), Math.max(...c)];
      this.#checkLevels(1, 'product');
    }
    this.#checkFits(bounds, this.#pc.levelBits[bfv ? 0 : 1]!, 'product');
    const type: FieldType = bfv ? (ia.decimals + ib.decimals > 0 ? 'fixed' : 'integer') : 'real';
    const pc = this.#pc;
    return sealCall('product', () =>
      pairs.map(([x, y]) =>
        scoped((s) => {
          const ev = pc.evaluator;
          const cx = this.#load(x, s);
          let cy: CipherText;
          if (layout === 'column') cy = this.#load(y, s);
          else {
            cy = s.add(pc.seal.CipherText());
            const step = ib.slot - ia.slot;
            if (step === 0) cy.copy(cx);
            else if (bfv) ev.rotateRows(cx, step, this.#gk!, cy);
            else ev.rotateVector(cx, step, this.#gk!, cy);
          }
          ev.multiply(cx, cy, cx);
          ev.relinearize(cx, this.#rk!, cx);
          if (!bfv) ev.rescaleToNext(cx, cx);
          const info: HeValueInfo = Object.freeze({
            path: `${a}*${b}`,
            type,
            decimals: ia.decimals + ib.decimals,
            slot: layout === 'column' ? 0 : ia.slot,
            length: layout === 'column' ? x.count : 1,
            min: bounds[0],
            max: bounds[1],
          });
          return this.#result(x, 'product', `${a}*${b}`, layout === 'column' ? x.count : 1, info, cx);
        }),
      ),
    );
  }

  /** Frees the loaded keys. Idempotent. */
  dispose(): void {
    this.#scope?.free();
    this.#scope = undefined;
  }

  #own(ct: HeCiphertext): void {
    checkCiphertext(ct);
    if (ct.keyId !== this.keyId || ct.paramsId !== this.preset.id)
      fail('ERR_SHE_KEY_MISMATCH', 'ciphertext was made with another key set or parameter set than this evaluation bundle');
    if (ct.kind !== 'field') fail('ERR_SHE_UNSUPPORTED', 'results cannot be fed back into an operation (fresh fields only)');
  }

  /**
   * An earlier `sumSlots` result to continue: an object an evaluator of this process returned (its
   * record gives the inputs folded in and the field's range), this key set, column layout, the same
   * field, type and range.
   */
  #slotSumOf(prev: HeCiphertext, name: string, info: HeValueInfo): { v: HeValueInfo; run: RunningSum } {
    checkCiphertext(prev);
    if (prev.keyId !== this.keyId || prev.paramsId !== this.preset.id)
      fail('ERR_SHE_KEY_MISMATCH', 'ciphertext was made with another key set or parameter set than this evaluation bundle');
    const v = prev.values[0];
    if (prev.op !== 'sum' || prev.layout !== 'column' || prev.path !== name || prev.values.length !== 1 || !v || v.path !== name)
      fail('ERR_SHE_UNSUPPORTED', `only an earlier slot-wise sum of the same field ("${name.slice(0, 80)}") can be continued; other results cannot be fed back`);
    if (v.slot !== 0 || v.type !== info.type || v.decimals !== info.decimals)
      fail('ERR_SHE_SCHEMA', `the earlier slot-wise sum disagrees with field "${name.slice(0, 80)}" on its type or decimals`);
    const run = runningOf(prev);
    if (!run || run.layout !== 'column')
      fail('ERR_SHE_UNSUPPORTED', 'an earlier slot-wise sum can be continued only as the object an evaluator of this process returned (copies, edited or decoded results are refused: their bounds are not authenticated)');
    const f = run.field;
    if (f.slot !== info.slot || f.type !== info.type || f.decimals !== info.decimals || f.min !== info.min || f.max !== info.max)
      fail('ERR_SHE_SCHEMA', `inputs disagree on the slot, type or range of field "${name.slice(6, 86)}"`);
    return { v, run };
  }

  /** Splits off a first input of kind `result` (a running sum to continue); the rest are fresh. */
  #splitRunning(inputs: Iterable<HeCiphertext>): { prev: HeCiphertext | undefined; rest: HeCiphertext[] } {
    if (inputs === null || typeof inputs !== 'object' || typeof (inputs as Iterable<HeCiphertext>)[Symbol.iterator] !== 'function')
      fail('ERR_SHE_INPUT', '"inputs" expected an iterable of ciphertexts');
    const rest = [...inputs];
    const first = rest[0];
    const prev = typeof first === 'object' && first !== null && first.kind === 'result' ? rest.shift() : undefined;
    return { prev, rest };
  }

  /**
   * An earlier `sum` to continue: an object an evaluator of this process returned (so its count and
   * bounds are the ones proved), of this key set, the same field, layout, slot, type and range.
   */
  #continued(prev: HeCiphertext, name: string, sel: Selected): RunningSum {
    const run = runningOf(prev);
    if (!run) fail('ERR_SHE_UNSUPPORTED', 'results cannot be fed back into an operation, except an earlier sum (the object an evaluator returned) continued as the first input');
    if (prev.keyId !== this.keyId || prev.paramsId !== this.preset.id)
      fail('ERR_SHE_KEY_MISMATCH', 'ciphertext was made with another key set or parameter set than this evaluation bundle');
    if (prev.op !== 'sum' || prev.path !== name)
      fail('ERR_SHE_UNSUPPORTED', `only an earlier sum of the same field ("${name.slice(0, 80)}") can be continued`);
    if (run.layout !== sel.layout) fail('ERR_SHE_INPUT', 'inputs mix record and column layouts');
    const f = run.field;
    const v = sel.info;
    if (f.slot !== v.slot || f.type !== v.type || f.decimals !== v.decimals || f.min !== v.min || f.max !== v.max)
      fail('ERR_SHE_SCHEMA', `inputs disagree on the slot, type or range of field "${name.slice(4, 84)}"`);
    return run;
  }

  #select(inputs: Iterable<HeCiphertext>, path: string): Selected {
    if (!this.#scope) fail('ERR_SHE_DISPOSED', 'evaluator was disposed');
    if (inputs === null || typeof inputs !== 'object' || typeof (inputs as Iterable<HeCiphertext>)[Symbol.iterator] !== 'function')
      fail('ERR_SHE_INPUT', '"inputs" expected an iterable of ciphertexts');
    const items = [...inputs];
    if (items.length === 0) fail('ERR_SHE_INPUT', 'no inputs');
    let layout: HeLayout | undefined;
    let info: HeValueInfo | undefined;
    let total = 0;
    for (const ct of items) {
      this.#own(ct);
      layout ??= ct.layout;
      if (ct.layout !== layout) fail('ERR_SHE_INPUT', 'inputs mix record and column layouts');
      if (layout === 'column' && ct.path !== path) fail('ERR_SHE_SCHEMA', `column "${ct.path}" is not field "${path}"`);
      const v = ct.values.find((x) => x.path === path);
      if (!v) fail('ERR_SHE_SCHEMA', `input lacks field "${String(path).slice(0, 64)}"`);
      if (info && (v.slot !== info.slot || v.type !== info.type || v.decimals !== info.decimals || v.min !== info.min || v.max !== info.max))
        fail('ERR_SHE_SCHEMA', `inputs disagree on the slot, type or range of field "${path}"`);
      info ??= v;
      total += ct.count;
    }
    if (total > 0xffffffff) fail('ERR_SHE_INPUT', 'too many records');
    return { layout: layout!, info: info!, items, total };
  }

  #scaleBounds(info: HeValueInfo, n: bigint, nn: number): [bigint | number, bigint | number] {
    return this.preset.scheme === 'bfv' ? [(info.min as bigint) * n, (info.max as bigint) * n] : [(info.min as number) * nn, (info.max as number) * nn];
  }

  #rotCost(sel: Selected): number {
    return sel.layout === 'column' ? Math.log2(this.preset.polyModulusDegree) + NOISE_MODEL.rotationSumExtra : 0;
  }

  #mulCost(): number {
    return log2ceil(Number(this.preset.plainModulus)) + Math.log2(this.preset.polyModulusDegree) + NOISE_MODEL.multiplyExtra;
  }

  #needMultiply(what: string): void {
    if (this.preset.multDepth < 1) fail('ERR_SHE_UNSUPPORTED', `${what} needs a ciphertext multiplication, which ${this.preset.id} cannot do (use bfv-n8192 or ckks-n8192)`);
    if (!this.#rk) fail('ERR_SHE_UNSUPPORTED', `${what} needs relinearisation keys, which the bundle lacks`);
  }

  #checkBudget(remaining: number, what: string): void {
    if (this.preset.scheme !== 'bfv') return;
    if (remaining < NOISE_MODEL.minBudget)
      fail('ERR_SHE_NOISE_BUDGET', `${what} refused: predicted noise budget ${Math.floor(remaining)} bits is below ${NOISE_MODEL.minBudget} with ${this.preset.id}`);
  }

  #checkLevels(needed: number, what: string): void {
    if (this.#pc.levelBits.length - 1 < needed) fail('ERR_SHE_NOISE_BUDGET', `${what} refused: no rescaling level left`);
  }

  /**
   * BFV: every result must lie in [-(t-1)/2, (t-1)/2]. CKKS: |result|·scale must stay 3 bits below the
   * modulus at the result's level (`levelBits`).
   */
  #checkFits(bounds: [bigint | number, bigint | number], levelBits: number, what: string): void {
    if (this.preset.scheme === 'bfv') {
      const [lo, hi] = bounds as [bigint, bigint];
      if (-lo > this.#half || hi > this.#half)
        fail('ERR_SHE_OVERFLOW', `${what} refused: the result could reach ${-lo > hi ? lo : hi}, beyond the plain modulus bound ±${this.#half} of ${this.preset.id}`);
    } else {
      const m = Math.max(Math.abs(bounds[0] as number), Math.abs(bounds[1] as number));
      const limit = 2 ** (levelBits - this.preset.scaleBits - 3);
      if (!(m < limit)) fail('ERR_SHE_OVERFLOW', `${what} refused: |result| could reach ${m}, beyond 2^${levelBits - this.preset.scaleBits - 3} at this level`);
    }
  }

  #load(ct: HeCiphertext, s: Scope): CipherText {
    // Fresh client ciphertexts only: top data level, nominal scale (checked on the packed bytes,
    // which are fully validated before SEAL sees them).
    const { form, level, scale } = checkPacked(this.preset, ct.ciphertext, 'ciphertext');
    void form;
    if (level !== 0) fail('ERR_SHE_FORMAT', 'ciphertext is not at the top level');
    if (this.preset.scheme === 'ckks' && scale !== 2 ** this.preset.scaleBits) fail('ERR_SHE_FORMAT', 'ciphertext has an unexpected CKKS scale');
    return loadCiphertext(this.#pc, ct.ciphertext, s);
  }

  #run(
    sel: Selected,
    op: HeOp,
    name: string,
    type: FieldType,
    decimals: number,
    bounds: [bigint | number, bigint | number],
    step: (ev: PresetContext['evaluator'], c: CipherText, acc: CipherText | undefined, item: HeCiphertext, s: Scope) => CipherText | undefined,
    rescale = false,
    prev?: { readonly ct: HeCiphertext; readonly count: number },
  ): HeCiphertext {
    const pc = this.#pc;
    const ev = pc.evaluator;
    return sealCall(op, () =>
      scoped((outer) => {
        let acc: CipherText | undefined;
        for (const item of sel.items) {
          // Each input is loaded, folded into the accumulator and freed at once: memory stays flat.
          const s = new Scope();
          try {
            const c = this.#load(item, s);
            const next = step(ev, c, acc, item, s);
            if (next === c) {
              acc = outer.add(pc.seal.CipherText());
              acc.move(c);
            }
          } finally {
            s.free();
          }
        }
        if (!acc) {
          // All weights were zero: an encryption of zero under the public key, at the right level/scale.
          acc = outer.add(pc.seal.CipherText());
          this.#zeroEnc.encryptZero(acc);
          if (this.preset.scheme === 'ckks') acc.setScale(2 ** (2 * this.preset.scaleBits));
        }
        if (this.preset.scheme === 'ckks' && rescale) ev.rescaleToNext(acc, acc);
        if (sel.layout === 'column') this.#rotateSum(acc, outer);
        // A running sum: the earlier result (already slot-summed) is added last.
        if (prev) ev.add(acc, this.#load(prev.ct, outer), acc);
        const info: HeValueInfo = Object.freeze({
          path: name,
          type,
          decimals,
          slot: sel.layout === 'column' ? 0 : sel.info.slot,
          length: 1,
          min: bounds[0],
          max: bounds[1],
        });
        return this.#result(sel.items[0]!, op, name, prev ? prev.count : sel.total, info, acc);
      }),
    );
  }

  #rotateSum(acc: CipherText, s: Scope): void {
    const pc = this.#pc;
    const ev = pc.evaluator;
    const need = columnSumSteps(this.preset);
    if (!this.#gk || need.some((k) => !this.galoisSteps.includes(k)))
      fail('ERR_SHE_UNSUPPORTED', 'column aggregates need the slot-sum rotation keys (BundleOptions.columnSums)');
    const tmp = s.add(pc.seal.CipherText());
    for (const k of need) {
      if (k === 0) continue;
      if (this.preset.scheme === 'bfv') ev.rotateRows(acc, k, this.#gk, tmp);
      else ev.rotateVector(acc, k, this.#gk, tmp);
      ev.add(acc, tmp, acc);
    }
    if (this.preset.scheme === 'bfv') {
      ev.rotateColumns(acc, this.#gk, tmp);
      ev.add(acc, tmp, acc);
    }
  }

  #result(like: HeCiphertext, op: HeOp, path: string, count: number, info: HeValueInfo, c: CipherText): HeCiphertext {
    const bytes = saveCiphertext(this.#pc, c);
    return Object.freeze({
      kind: 'result',
      op,
      path,
      scheme: this.preset.scheme,
      paramsId: this.preset.id,
      keyId: this.keyId,
      layout: like.layout,
      count,
      values: Object.freeze([info]),
      scaleBits: like.scaleBits,
      ciphertext: bytes,
    });
  }
}
