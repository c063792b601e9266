/**
 * A one-line progress bar on stderr (bytes done, rate and time left), shown only when stderr is a terminal and the input is large;
 * silent when piped, so scripts and logs never see it.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #total: number;
  readonly #label: string;
  readonly #enabled: boolean;
  #done = 0;
  readonly #start = Date.now();
  #lastDraw = 0;
  #drawn = false;

  /** Inputs smaller than this finish too fast for a bar to help. */
  static readonly threshold = 32 * 1024 * 1024;

  /**
   * @param stream usually `process.stderr`
   * @param total expected bytes, or `undefined` when unknown (stdin): then no bar
   * @param label e.g. `encrypting`
   */
  constructor(stream: NodeJS.WriteStream, total: number | undefined, label: string) {
    this.#stream = stream;
    this.#total = total ?? 0;
    this.#label = label;
    this.#enabled = Boolean(stream.isTTY) && total !== undefined && total >= Progress.threshold;
  }

  /** Records `bytes` more processed; redraws at most ten times a second. */
  advance(bytes: number): void {
    this.#done += bytes;
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#draw();
  }

  /** Clears the bar. */
  finish(): void {
    if (this.#enabled && this.#drawn) this.#stream.write('\r\x1b[K');
  }

  #draw(): void {
    const fraction = Math.min(1, this.#done / this.#total);
    const width = 30;
    const filled = Math.round(fraction * width);
    const mib = (n: number) => (n / 1048576).toFixed(0);
    this.#stream.write(
      `\r${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0)}% ${mib(this.#done)}/${mib(this.#total)} MiB${this.#speed()}`,
    );
    this.#drawn = true;
  }

  /** `, 12.3 MiB/s, ETA 0:42` once there is half a second to measure over (then clears the line's end). */
  #speed(): string {
    const seconds = (Date.now() - this.#start) / 1000;
    if (seconds < 0.5 || this.#done === 0) return '';
    const rate = this.#done / seconds;
    const left = Math.max(0, Math.ceil((this.#total - this.#done) / rate));
    const eta = left >= 3600 ? `${Math.floor(left / 3600)}:${String(Math.floor(left / 60) % 60).padStart(2, '0')}:${String(left % 60).padStart(2, '0')}` : `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    return `, ${(rate / 1048576).toFixed(1)} MiB/s, ETA ${eta}\x1b[K`;
  }
}
