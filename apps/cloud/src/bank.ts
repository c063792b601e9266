/**
 * The bank scenario (transactions a bank keeps with a cloud provider): each transaction's amount is an
 * HE field, and so are the amount per category (a grouped sum) and the amount band (a histogram), so
 * the server answers "how much per category" and "how many transactions per band" with additions only.
 * Used by the browser page and the tests.
 * @module
 */
import type { FieldSpec } from '@nqc/she';
import { groupSumFields, histogramFields, oneHot, spread, type Bin, type GroupSpec } from './aggregates/groups.js';

/** One transaction: the whole JSON is encrypted; `amount` and its group fields are also HE fields. */
export interface Transaction {
  [key: string]: string | number;
  date: string;
  merchant: string;
  category: string;
  amount: number;
}

/** The spending categories. */
export const CATEGORIES = ['groceries', 'rent', 'transport', 'restaurants', 'health', 'leisure'] as const;

/** The amount (in currency units, with cents): 0 to 10,000.00. */
export const AMOUNT_FIELD: FieldSpec = { path: 'amount', type: 'fixed', decimals: 2, min: 0, max: 10_000 };

/** Amount bands of the amount histogram. */
export const AMOUNT_BINS: readonly Bin[] = [
  { key: 'under-10', min: 0, max: 10 },
  { key: '10-50', min: 10, max: 50 },
  { key: '50-200', min: 50, max: 200 },
  { key: '200-1000', min: 200, max: 1000 },
  { key: '1000+', min: 1000 },
];

/** The amount per category: one HE field per category (`amount_by_category.groceries`, ...). */
export const CATEGORY_SUMS: GroupSpec = { name: 'amount_by_category', kind: 'groupSum', of: 'amount', keys: CATEGORIES };

/** The number of transactions per amount band: one 0/1 HE field per band (`amount_bins.10-50`, ...). */
export const AMOUNT_HISTOGRAM: GroupSpec = { name: 'amount_bins', kind: 'histogram', of: 'amount', keys: AMOUNT_BINS.map((b) => b.key) };

/** The bank schema: the amount, the amount per category, the amount band indicators. */
export const BANK_FIELDS: readonly FieldSpec[] = [
  AMOUNT_FIELD,
  ...groupSumFields(CATEGORY_SUMS.name, CATEGORIES, AMOUNT_FIELD),
  ...histogramFields(AMOUNT_HISTOGRAM.name, AMOUNT_BINS),
];

/**
 * A transaction with its group fields, ready for `encryptDataset` with {@link BANK_FIELDS}.
 * @param t - the transaction
 */
export function encodeTransaction(t: Transaction): { [key: string]: string | number | Record<string, number> } {
  return { ...t, [CATEGORY_SUMS.name]: spread(CATEGORIES, t.category, t.amount), [AMOUNT_HISTOGRAM.name]: oneHot(AMOUNT_BINS, t.amount) };
}

const MERCHANTS: Record<(typeof CATEGORIES)[number], readonly string[]> = {
  groceries: ['Corner Market', 'FreshCo', 'Bio Hall'],
  rent: ['Landlord Ltd'],
  transport: ['City Metro', 'RailOne', 'Bike Share'],
  restaurants: ['Trattoria Uno', 'Noodle Bar', 'Cafe Leaf'],
  health: ['Pharmacy Plus', 'Dental Care'],
  leisure: ['Cinema Max', 'Book Nook', 'Gym Flex'],
};
// Typical amount ranges per category (min, max), in currency units.
const RANGE: Record<(typeof CATEGORIES)[number], readonly [number, number]> = {
  groceries: [3, 180],
  rent: [650, 2400],
  transport: [1.5, 90],
  restaurants: [6, 140],
  health: [4, 600],
  leisure: [5, 250],
};

/**
 * `n` made-up transactions, deterministic for a seed (a small LCG: not for anything secret).
 * @param n - how many
 * @param seed - any integer
 */
export function makeTransactions(n: number, seed = 1): Transaction[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out: Transaction[] = [];
  for (let i = 0; i < n; i++) {
    const category = CATEGORIES[Math.floor(next() * CATEGORIES.length)]!;
    const merchants = MERCHANTS[category];
    const [lo, hi] = RANGE[category];
    const day = 1 + Math.floor(next() * 28);
    out.push({
      date: `2026-11-${String(day).padStart(2, '0')}`,
      merchant: `${merchants[Math.floor(next() * merchants.length)]} #${i}`,
      category,
      amount: Math.round((lo + next() * (hi - lo)) * 100) / 100,
    });
  }
  return out;
}
