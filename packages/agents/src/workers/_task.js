// Shared by every worker body (plain ESM JavaScript: worker threads load it directly from src/ in tests
// and from dist/ when installed, with no TypeScript transform; see README, "Worker files").
//
// Errors do not keep their `code` across postMessage (structured clone drops own properties), so a
// task returns a result record instead of throwing: `{ ok: true, value }` or `{ ok: false, code, message }`.

/** Exit code of a worker that stops itself after a fatal failure (e.g. SEAL aborted). */
export const EXIT_FATAL = 86;

/**
 * @template I, O
 * @param {(input: I) => O | Promise<O>} fn
 * @param {(e: unknown) => boolean} [isFatal] after such an error the worker exits so the pool replaces it
 * @returns {(input: I) => Promise<{ ok: true, value: O } | { ok: false, code: string, message: string }>}
 */
export function task(fn, isFatal) {
  return async (input) => {
    try {
      return { ok: true, value: await fn(input) };
    } catch (e) {
      if (isFatal && isFatal(e)) process.exit(EXIT_FATAL);
      const code = typeof e === 'object' && e !== null && typeof (/** @type {{ code?: unknown }} */ (e).code) === 'string'
        ? /** @type {{ code: string }} */ (e).code
        : 'ERR_UNKNOWN';
      const message = e instanceof Error ? e.message : String(e);
      return { ok: false, code, message };
    }
  };
}

/**
 * A small cache of parsed keys (parsing an ML-DSA key re-derives it from its seed): key string to object.
 * @template T
 * @param {number} max
 * @returns {(text: string, parse: (text: string) => T) => T}
 */
export function keyCache(max) {
  /** @type {Map<string, T>} */
  const map = new Map();
  return (text, parse) => {
    let v = map.get(text);
    if (v === undefined) {
      v = parse(text);
      if (map.size >= max) map.delete(/** @type {string} */ (map.keys().next().value));
      map.set(text, v);
    }
    return v;
  };
}
