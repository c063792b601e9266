#!/usr/bin/env node
// The key-custody agent (see @nqc/agents README, "Key custody agent").
import '../dist/bin.js';
