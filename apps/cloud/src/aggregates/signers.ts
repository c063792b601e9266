/**
 * The signer statement every aggregate answer carries (sum, mean, count, histogram, grouped sum):
 * which writers the owner enrolled (their verifying keys and key ids, all public), and how many of
 * the aggregated envelopes each of them signed. Built by {@link signerStatement}, one function for
 * the in-process path and the job path alike.
 * @module
 */
import { parseVerifyingKey } from '@nqc/core/node';

/** One enrolled writer in a {@link SignerStatement}. */
export interface WriterStatement {
  /** Key id of the writer's verifying key (8 hex characters, `@nqc/pql` `keyId`: a hint, not unique). */
  readonly keyId: string;
  /** The writer's verifying key (`nqc-pub-...`), as the owner enrolled it. */
  readonly verifyingKey: string;
  /** How many of the aggregated envelopes this writer signed (verified). */
  readonly envelopes: number;
}

/** What every aggregate answer says about the signatures it relied on. */
export interface SignerStatement {
  /** Always true: envelopes are aggregated only after their signatures verified. */
  readonly enforced: true;
  /** How many writers the owner enrolled (the length of {@link SignerStatement.writers}). */
  readonly enrolledWriters: number;
  /** The enrolled writers, in enrolment order, each with the number of aggregated envelopes it signed. */
  readonly writers: readonly WriterStatement[];
  /** How many envelopes were verified and aggregated. */
  readonly envelopes: number;
  /** The same in words. */
  readonly statement: string;
}

/** Per verifying key (`nqc-pub-...`): how many aggregated envelopes it signed. */
export type SignedBy = Readonly<Record<string, number>>;

/** Counts the verified signer of each aggregated envelope (by verifying key). */
export class SignerTally {
  readonly #counts = new Map<string, number>();

  /**
   * Records one aggregated envelope.
   * @param verifyingKey - its verified signer's verifying key (`nqc-pub-...`), if known
   */
  add(verifyingKey: string | undefined): void {
    const k = verifyingKey ?? '';
    this.#counts.set(k, (this.#counts.get(k) ?? 0) + 1);
  }

  /** The counts, as plain JSON (carried by a job's outcome). */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}

const keyIdOf = (vk: string): string => {
  try {
    return parseVerifyingKey(vk).keyId;
  } catch {
    return 'unknown'; // enrolled keys were parsed at creation; kept total for old rows
  }
};

/**
 * The signer statement of an aggregate answer.
 * @param writers - the dataset's enrolled writers' verifying keys (`DatasetRow.writers`)
 * @param envelopes - how many envelopes were verified and aggregated
 * @param signedBy - per verifying key, how many of them it signed (from a {@link SignerTally}; missing: 0)
 * @param additionsOnly - the aggregate used additions only (histograms and grouped sums: no rotation keys)
 */
export function signerStatement(writers: readonly string[], envelopes: number, signedBy: SignedBy = {}, additionsOnly = false): SignerStatement {
  const list = writers.map((vk) => ({ keyId: keyIdOf(vk), verifyingKey: vk, envelopes: Object.hasOwn(signedBy, vk) ? signedBy[vk]! : 0 }));
  const ids = list.map((w) => `${w.keyId} (${w.envelopes})`).join(', ');
  return {
    enforced: true,
    enrolledWriters: writers.length,
    writers: list,
    envelopes,
    statement:
      `aggregated only the ${envelopes} envelope(s) whose ML-DSA signatures verified against the ${writers.length} writer(s) the owner enrolled` +
      ` (key ids, with envelopes signed: ${ids})${additionsOnly ? ', with additions only (no rotation keys)' : ''}; the server cannot check that the values themselves are honest`,
  };
}
