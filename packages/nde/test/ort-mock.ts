// The real onnxruntime-node with every session's `run` wrapped: for `jest.unstable_mockModule(
// 'onnxruntime-node', () => ortWithRunHook(hook))` in tests that watch or corrupt the model's runs
// (self-test-shapes.test.ts, onnx-v2/self-test-shapes.test.ts, onnx-padding.test.ts).
import { createRequire } from 'node:module';

/** The feeds of one `session.run`, as far as the tests read them. */
export type Feeds = Record<string, { dims: readonly number[] }>;

/** A session's `run`. */
export type SessionRun<R> = (feeds: Feeds, names: string[]) => Promise<R>;

type Session<R> = { run: SessionRun<R> };

/**
 * The module that `jest.unstable_mockModule` should return: the real package (loaded through
 * require: jest's ESM mock does not apply to it), whose sessions call `hook` instead of `run`.
 */
export function ortWithRunHook<R>(hook: (feeds: Feeds, names: string[], run: SessionRun<R>) => Promise<R>): Record<string, unknown> {
  const real = createRequire(import.meta.url)('onnxruntime-node') as {
    Tensor: unknown;
    InferenceSession: { create(...args: unknown[]): Promise<Session<R>> };
  };
  const create = async (...args: unknown[]): Promise<Session<R>> => {
    const session = await real.InferenceSession.create(...args);
    return new Proxy(session, {
      get(target, prop) {
        if (prop === 'run') return (feeds: Feeds, names: string[]) => hook(feeds, names, (f, n) => target.run(f, n));
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return { Tensor: real.Tensor, InferenceSession: { create }, default: { Tensor: real.Tensor, InferenceSession: { create } } };
}
