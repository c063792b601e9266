#!/usr/bin/env node
// Checked-in shim so the bin exists before the package is built (pnpm links bins at install).
import '../dist/bin/nde-keystream.js';
