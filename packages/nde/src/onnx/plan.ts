/**
 * How a batch of chunks becomes `session.run` jobs (v1 and v2). A job is padded to its longest chunk,
 * so a 1 MiB chunk batched with 63 tiny ones would cost 64 MiB of input and 64x the compute. Jobs are
 * therefore formed from chunks of similar length: sorted longest first, a job never holds more padded
 * steps than twice its real ones. Within that, as before: about one group per runner (so one call
 * uses every core) and only batch sizes the self-test ran ({@link _JOB_BATCHES}).
 * @internal
 */
import { _JOB_BATCHES } from './kat.js';

/**
 * Cuts `count` chunks into jobs whose sizes are all in {@link _JOB_BATCHES} (largest first), so
 * that every `session.run` has a batch shape the self-test ran. E.g. 37 -> 32, 4, 1.
 * @internal
 */
export function _jobSizes(count: number): number[] {
  const sizes: number[] = [];
  let left = count;
  for (const size of _JOB_BATCHES) {
    for (; left >= size; left -= size) sizes.push(size);
  }
  return sizes;
}

/**
 * Plans the jobs of a batch: `steps[i]` is chunk i's length in model steps (at least 1); returns
 * lists of chunk indices, every index exactly once. Each job has a self-tested size and
 * `size * max(steps) <= 2 * sum(steps)` over its chunks. Equal chunks give what the old plan gave:
 * about `parts` contiguous groups, each cut by {@link _jobSizes}.
 * @internal
 */
export function _planJobs(steps: readonly number[], parts: number): number[][] {
  const jobs: number[][] = [];
  const real = (job: readonly number[]): number => job.reduce((n, i) => n + steps[i]!, 0);
  // Longest first (ties in input order): a job's first chunk is its longest.
  const bounded = (job: readonly number[]): boolean => job.length * steps[job[0]!]! <= 2 * real(job);
  const plan = (sorted: readonly number[]): void => {
    for (let i = 0; i < sorted.length; ) {
      // The longest run from i that stays within the bound (adding shorter chunks only makes it worse).
      const max = steps[sorted[i]!]!;
      let sum = 0;
      let j = i;
      while (j < sorted.length && (j - i + 1) * max <= 2 * (sum + steps[sorted[j]!]!)) sum += steps[sorted[j++]!]!;
      const run = sorted.slice(i, j);
      const per = Math.ceil(run.length / Math.max(1, Math.min(parts, run.length)));
      for (let g = 0; g < run.length; g += per) {
        const group = run.slice(g, g + per);
        let off = 0;
        for (const size of _jobSizes(group.length)) {
          const job = group.slice(off, (off += size));
          // A cut can start after the run's longest chunk and end among its shortest: plan it again
          // (its own runs are shorter than it, so this ends; a single chunk is always within the bound).
          if (bounded(job)) jobs.push(job);
          else plan(job);
        }
      }
      i = j;
    }
  };
  plan(steps.map((_, i) => i).sort((a, b) => steps[b]! - steps[a]! || a - b));
  return jobs;
}
