/**
 * Challenge-response login: the gateway hands out single-use random challenges (through the
 * channel, at {@link CHALLENGE_PATH}); on a route whose policy is `'challenge'`, a request must be
 * signed by a known client key and carry, in its signed `nqc-challenge` header, a challenge the
 * gateway issued, has not seen used and that has not expired. Freshness then comes from the server,
 * not from the client's clock.
 * @module
 */
import { _base64, _randomBytes } from './_bytes.js';
import { NqcChannelError } from './errors.js';

/** Inner path at which a gateway with a {@link ChallengeStore} issues challenges (`GET`, through the channel). */
export const CHALLENGE_PATH = '/.well-known/nqc-challenge';
/** Request header carrying the challenge (signed with the other header fields). */
export const CHALLENGE_HEADER = 'nqc-challenge';
/** A challenge's form: 32 random bytes, base64 (44 characters). */
const CHALLENGE = /^[A-Za-z0-9+/]{43}=$/;

/** Options of {@link ChallengeStore}. */
export type ChallengeStoreOptions = {
  /** Lifetime of a challenge, seconds (default 120). */
  ttlSeconds?: number;
  /** Most challenges outstanding at once (default 10,000); issuing fails closed beyond. */
  maxOutstanding?: number;
  /** Clock, ms (default `Date.now`). */
  now?: () => number;
};

/**
 * The gateway's outstanding challenges: each one is accepted once, before it expires. Per process
 * (several gateway processes need a shared store, not provided).
 * @example
 * ```ts
 * const gateway = new Gateway({ keys, signingKey, clients, challenges: new ChallengeStore(), auth: (_m, path) => (path === '/login' ? 'challenge' : 'optional') });
 * const res = await client.login(`${origin}/login`, { method: 'POST' }); // fetches a challenge, then signs the request with it
 * ```
 */
export class ChallengeStore {
  readonly #open = new Map<string, number>();
  readonly #ttl: number;
  readonly #max: number;
  readonly #now: () => number;

  /** @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT for a non-positive limit */
  constructor(options: ChallengeStoreOptions = {}) {
    this.#ttl = (options.ttlSeconds ?? 120) * 1000;
    this.#max = options.maxOutstanding ?? 10_000;
    this.#now = options.now ?? Date.now;
    if (!(this.#ttl > 0) || !Number.isInteger(this.#max) || this.#max < 1) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', 'ChallengeStore: "ttlSeconds" and "maxOutstanding" must be positive');
  }

  /** Challenges outstanding (issued, not used, maybe expired). */
  get size(): number {
    return this.#open.size;
  }

  /**
   * A new challenge.
   * @throws {NqcChannelError} ERR_CHANNEL_LIMIT when `maxOutstanding` unexpired challenges are open
   */
  issue(): string {
    const now = this.#now();
    if (this.#open.size >= this.#max) for (const [c, exp] of this.#open) if (exp <= now) this.#open.delete(c);
    if (this.#open.size >= this.#max) throw new NqcChannelError('ERR_CHANNEL_LIMIT', 'too many outstanding challenges');
    const challenge = _base64(_randomBytes(32));
    this.#open.set(challenge, now + this.#ttl);
    return challenge;
  }

  /** True once for a challenge this store issued that has not expired; it is forgotten either way. */
  consume(challenge: string): boolean {
    if (typeof challenge !== 'string' || !CHALLENGE.test(challenge)) return false;
    const exp = this.#open.get(challenge);
    this.#open.delete(challenge);
    return exp !== undefined && exp > this.#now();
  }
}
