/**
 * The demo's embedded default data: a short report to encrypt as a file, and patient records for the
 * zero-trust cloud (made up; any resemblance is a coincidence).
 * @module
 */

/** A plaintext "file" for the envelope act. */
export const REPORT = `Quarterly report (confidential)
Revenue: 1,234,567
Patients treated: 8,412
Keep this secret past the arrival of quantum computers.
`.repeat(200);

/** One patient record: the whole object is encrypted; age and bill are also HE-encrypted. */
export interface Patient {
  [key: string]: string | number;
  name: string;
  diagnosis: string;
  age: number;
  bill: number;
}

/** Eight patients of a hospital network. */
export const PATIENTS: readonly Patient[] = [
  { name: 'Ada', diagnosis: 'fracture', age: 36, bill: 1240.5 },
  { name: 'Grace', diagnosis: 'influenza', age: 85, bill: 310.25 },
  { name: 'Alan', diagnosis: 'asthma', age: 41, bill: 99.99 },
  { name: 'Edsger', diagnosis: 'migraine', age: 72, bill: 455.0 },
  { name: 'Barbara', diagnosis: 'checkup', age: 29, bill: 80.0 },
  { name: 'Donald', diagnosis: 'sprain', age: 58, bill: 612.4 },
  { name: 'Frances', diagnosis: 'allergy', age: 47, bill: 150.75 },
  { name: 'Tony', diagnosis: 'checkup', age: 63, bill: 80.0 },
];
