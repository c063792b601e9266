// A node:test reporter that writes the tier's counts in the shape of @nqc/jest-preset's counting
// reporter ({ passed, failed, skipped, suites }), so tooling/scripts/test-summary.mjs adds them up.
// Only leaf tests count (suites also emit pass/fail events); a file that fails to load counts as a failure.

/**
 * @param {AsyncIterable<{ type: string, data: any }>} source node:test events
 * @returns {AsyncGenerator<string>} the summary JSON
 */
export default async function* summaryReporter(source) {
  const s = { passed: 0, failed: 0, skipped: 0, suites: 0 };
  for await (const { type, data } of source) {
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    if (data.details?.type === 'suite') {
      s.suites++;
      continue;
    }
    if (data.skip || data.todo) s.skipped++;
    else if (type === 'test:pass') s.passed++;
    else s.failed++;
  }
  yield JSON.stringify(s, null, 2) + '\n';
}
