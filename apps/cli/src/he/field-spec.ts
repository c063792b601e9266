import type { FieldSpec } from '@nqc/she';
import { CliError } from '../errors.js';

/**
 * Parses a field spec `PATH:TYPE:MIN:MAX` as given to `nqc he keygen --field`:
 * TYPE is `int` (integers), `fixedN` (N decimals, e.g. `fixed2` for cents) or `real` (CKKS, approximate).
 * Examples: `age:int:0:130`, `amount:fixed2:0:1000000`, `temperature:real:-50:60`.
 * @throws CliError `ERR_CLI_USAGE` with what was wrong
 */
export function parseFieldSpec(spec: string): FieldSpec {
  const parts = spec.split(':');
  const usage = `field "${spec}": expected PATH:TYPE:MIN:MAX with TYPE int, fixedN or real (e.g. age:int:0:130, amount:fixed2:0:1000000)`;
  if (parts.length !== 4) throw new CliError('ERR_CLI_USAGE', usage);
  const [path, type, min, max] = parts as [string, string, string, string];
  if (path.length === 0) throw new CliError('ERR_CLI_USAGE', usage);
  const number = (s: string) => {
    if (!/^-?\d+(\.\d+)?$/.test(s)) throw new CliError('ERR_CLI_USAGE', `field "${spec}": "${s}" is not a number`);
    return Number(s);
  };
  const range = { min: number(min), max: number(max) };
  if (range.min > range.max) throw new CliError('ERR_CLI_USAGE', `field "${spec}": MIN is larger than MAX`);
  if (type === 'int') return { path, type: 'integer', ...range };
  if (type === 'real') return { path, type: 'real', ...range };
  const fixed = /^fixed(\d{1,2})$/.exec(type);
  if (fixed) return { path, type: 'fixed', decimals: Number(fixed[1]), ...range };
  throw new CliError('ERR_CLI_USAGE', usage);
}
