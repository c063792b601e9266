import { Option } from 'commander';

/** `--nde`: the neural inner layer's backend (`off` writes envelopes without it). */
export const ndeOption = (withOff = true) =>
  new Option('--nde <BACKEND>', `neural layer backend: auto (ONNX when it passes its self-test), onnx, reference${withOff ? ', or off' : ''}`)
    .choices(withOff ? ['auto', 'onnx', 'reference', 'off'] : ['auto', 'onnx', 'reference'])
    .default('auto');

/**
 * `rotate --nde`: the backend that opens the old payload and writes the new one; the new envelope
 * has the neural layer iff the old one had, except with `off` (then it has none).
 */
export const rotateNdeOption = () =>
  new Option('--nde <BACKEND>', 'neural layer backend: auto, onnx or reference (the new envelope has the layer iff the old one had), or off: the new envelope without it')
    .choices(['auto', 'onnx', 'reference', 'off'])
    .default('auto');

/** `--aead`: the payload AEAD. */
export const aeadOption = () =>
  new Option('--aead <NAME>', 'payload AEAD').choices(['chacha20-poly1305', 'aes-256-gcm']).default('chacha20-poly1305');

/** NDE choices as core names them. */
export type NdeFlag = 'auto' | 'onnx' | 'reference' | 'off';
