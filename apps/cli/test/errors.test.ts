import { describe, expect, it } from '@jest/globals';
import { CliError, describeError, ExitCode } from '../src/errors.js';

describe('describeError', () => {
  it('keeps CLI errors as they are', () => {
    expect(describeError(new CliError('ERR_CLI_X', 'bad thing', 2))).toEqual({ code: 'ERR_CLI_X', message: 'bad thing', exitCode: 2 });
  });
  it('keeps coded library errors with their message', () => {
    const e = Object.assign(new Error('no identity matched any of the file\'s recipients'), { code: 'ERR_NO_MATCH' });
    expect(describeError(e)).toEqual({ code: 'ERR_NO_MATCH', message: e.message, exitCode: ExitCode.failure });
  });
  it('words file system errors plainly, with the path', () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: 'ENOENT', path: 'x' });
    expect(describeError(e)).toEqual({ code: 'ERR_IO_ENOENT', message: 'no such file: x', exitCode: 1 });
  });
  it('marks uncoded errors as internal and points to --debug', () => {
    expect(describeError(new TypeError('boom')).message).toBe('internal error: boom (run with --debug for details)');
    expect(describeError('weird').code).toBe('ERR_INTERNAL');
  });
});
