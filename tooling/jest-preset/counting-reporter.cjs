// Writes test-results/summary.json with the real pass/fail counts of a jest run, so .ci/run can
// print its own `N passed, N failed` line (jest's own summary goes to stderr in a shape CI ignores).
// A test file that fails to load counts as one failure: it ran no test, and must not look green.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

class CountingReporter {
  constructor(_globalConfig, options) {
    this.outputDir = options.outputDir;
  }
  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      suites: results.numTotalTestSuites,
      // wall time of the whole jest run, so `npm test` can print where its minutes went
      seconds: Math.round((Date.now() - results.startTime) / 100) / 10,
    };
    fs.mkdirSync(this.outputDir, { recursive: true });
    fs.writeFileSync(path.join(this.outputDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }
}
module.exports = CountingReporter;
