/**
 * The patient scenario (records shared between research centres): the schema of the HE fields and a
 * generator of made-up records. Used by the browser page, the tests and the speed measurement.
 * @module
 */
import type { FieldSpec } from '@nqc/she';
import { histogramFields, oneHot, type Bin, type GroupSpec } from './aggregates/groups.js';

/** One patient record: the whole JSON is encrypted; age, length of stay and bill are also HE fields. */
export interface Patient {
  [key: string]: string | number;
  name: string;
  diagnosis: string;
  age: number;
  stay: number;
  bill: number;
}

/** The HE fields (BFV, exact): age in years, length of stay in days, bill with cents. */
export const PATIENT_FIELDS: readonly FieldSpec[] = [
  { path: 'age', type: 'integer', min: 0, max: 130 },
  { path: 'stay', type: 'integer', min: 0, max: 365 },
  { path: 'bill', type: 'fixed', decimals: 2, min: 0, max: 100_000 },
];

/** Age bands of the age histogram. */
export const AGE_BINS: readonly Bin[] = [
  { key: '0-19', min: 0, max: 20 },
  { key: '20-39', min: 20, max: 40 },
  { key: '40-59', min: 40, max: 60 },
  { key: '60-79', min: 60, max: 80 },
  { key: '80+', min: 80 },
];

/** The age histogram: one 0/1 HE field per band (`age_bins.0-19`, ...). */
export const AGE_HISTOGRAM: GroupSpec = { name: 'age_bins', kind: 'histogram', of: 'age', keys: AGE_BINS.map((b) => b.key) };

/** The page's patient schema: {@link PATIENT_FIELDS} and the age histogram's indicators. */
export const PATIENT_SCENARIO_FIELDS: readonly FieldSpec[] = [...PATIENT_FIELDS, ...histogramFields(AGE_HISTOGRAM.name, AGE_BINS)];

/**
 * A patient with its histogram indicators, ready for `encryptDataset` with {@link PATIENT_SCENARIO_FIELDS}.
 * @param p - the patient
 */
export function encodePatient(p: Patient): { [key: string]: string | number | Record<string, number> } {
  return { ...p, [AGE_HISTOGRAM.name]: oneHot(AGE_BINS, p.age) };
}

const NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Tony', 'Margaret', 'John'];
const DIAGNOSES = ['fracture', 'influenza', 'asthma', 'migraine', 'checkup', 'sprain', 'appendicitis', 'pneumonia'];

/**
 * `n` made-up patients, deterministic for a seed (a small LCG: not for anything secret).
 * @param n - how many
 * @param seed - any integer
 */
export function makePatients(n: number, seed = 1): Patient[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out: Patient[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      name: `${NAMES[Math.floor(next() * NAMES.length)]} ${i}`,
      diagnosis: DIAGNOSES[Math.floor(next() * DIAGNOSES.length)]!,
      age: Math.floor(next() * 100),
      stay: Math.floor(next() * 30),
      bill: Math.round(next() * 500_000) / 100,
    });
  }
  return out;
}
