/** One runnable fenced block of a README. */
export interface ReadmeExample {
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language tag (`ts`, `js`, ...). */
  lang: string;
  /** The code that runs: the block, preceded by the previous block's code when it `continues`. */
  code: string;
  /** The block's own text, verbatim. */
  own: string;
  /** The reason given by `<!-- doc-test: skip: reason -->`, when the block is not run. */
  skip?: string;
  /** True when marked `<!-- doc-test: continues -->`. */
  continues: boolean;
}
/** The runnable examples of a Markdown file: its ```ts / ```js fenced blocks, in order. */
export declare function readmeExamples(path: string | URL): Promise<ReadmeExample[]>;
/**
 * Runs one example verbatim as an ES module through jest's ESM loader, with a fresh temporary
 * working directory holding `files`.
 */
export declare function runReadmeExample(
  example: ReadmeExample,
  options: { testUrl: string; files?: Record<string, string | Uint8Array> },
): Promise<void>;
