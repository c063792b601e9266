import { Option } from 'commander';

/** `--nde`: the neural inner layer's backend (`off` writes envelopes without it). */
export const ndeOption = (withOff = true) =>
  new Option(
    '--nde <BACKEND>',
    `neural layer backend: auto (the fastest that passes its self-test), onnx, wasm, reference${withOff ? ', or off' : ''}`,
  )
    .choices(withOff ? ['auto', 'onnx', 'wasm', 'reference', 'off'] : ['auto', 'onnx', 'wasm', 'reference'])
    .default('auto');

/**
 * `rotate --nde`: the backend that opens the old payload and writes the new one; the new envelope
 * has the neural layer iff the old one had, except with `off` (then it has none).
 */
export const rotateNdeOption = () =>
  new Option('--nde <BACKEND>', 'neural layer backend: auto, onnx, wasm or reference (the new envelope has the layer iff the old one had), or off: the new envelope without it')
    .choices(['auto', 'onnx', 'wasm', 'reference', 'off'])
    .default('auto');

/**
 * `--nde-version`: the NDE construction written (2 by default, as the library's NDE_DEFAULT_VERSION;
 * 1 for readers that only know v1). No commander default: absent means the library's default.
 * Decryption takes no such flag: an envelope names its model, hence its version.
 */
export const ndeVersionOption = () =>
  new Option('--nde-version <N>', 'neural layer construction to write: 2 (default) or 1 (for readers that only open NDE v1)').choices(['1', '2']);

/** `--aead`: the payload AEAD. */
export const aeadOption = () =>
  new Option('--aead <NAME>', 'payload AEAD').choices(['chacha20-poly1305', 'aes-256-gcm']).default('chacha20-poly1305');

/** NDE choices as core names them. */
export type NdeFlag = 'auto' | 'onnx' | 'wasm' | 'reference' | 'off';

/** `--nde-version` as parsed (a string of the choices, or absent). */
export type NdeVersionFlag = '1' | '2' | undefined;

/**
 * The `ndeVersion` option for core from the flags: `undefined` (core's default) when absent; a usage
 * error with `--nde off` (there is no neural layer whose version could be chosen).
 */
export function ndeVersionFlag(flags: { nde: NdeFlag; ndeVersion?: NdeVersionFlag }, usage: (message: string) => Error): 1 | 2 | undefined {
  if (flags.ndeVersion === undefined) return undefined;
  if (flags.nde === 'off') throw usage('--nde-version chooses the neural layer\'s construction: do not combine it with --nde off');
  return flags.ndeVersion === '1' ? 1 : 2;
}
