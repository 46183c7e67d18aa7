/**
 * Progress for long work: an updating bar in a notebook (one display, updated in place), a `\r` line in
 * a terminal, and a line every ~10% (or 30 s) when output goes to a file or CI log.
 *
 * @example
 * ```ts
 * const items = ["a", "b", "c"], batches = [items.slice(0, 2), items.slice(2)];
 * const work = (_batch: string[]) => Promise.resolve();
 * const bar = progress(items.length, "MobileNetV2 features");
 * for (const batch of batches) { await work(batch); bar.tick(batch.length); }
 * await bar.done();
 * ```
 */
import { escapeHtml, jupyter, settleOutput } from "./jupyter.ts";

/** A running progress display. */
export interface Progress {
  /** Count `n` more items done (default 1), optionally with a short note. */
  tick(n?: number, note?: string): void;
  /** Mark the work finished (or stopped) and flush the display. */
  done(note?: string): Promise<void>;
}

/** Where progress goes: the notebook display, the terminal, plain log lines, or nowhere. */
export type ProgressSink = "auto" | "notebook" | "terminal" | "log" | "silent";

/** Options of {@link progress}. */
export interface ProgressOptions {
  sink?: ProgressSink;
  /** Milliseconds between display updates (default 250). */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Where "log" and "terminal" lines go (default stderr). */
  write?: (text: string) => void;
}

/** The numbers behind one progress line. */
export interface ProgressState {
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
  note?: string;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}

/** One progress line: `label  30/120 (25%)  12.0 it/s  elapsed 0:02  left 0:07`. Pure. */
export function formatProgress(s: ProgressState): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? s.done / secs : 0;
  const pct = s.total > 0 ? Math.floor((100 * s.done) / s.total) : 0;
  const left = rate > 0 ? (s.total - s.done) / rate : Infinity;
  const rateText = rate >= 10 ? rate.toFixed(0) : rate.toFixed(2);
  return `${s.label}  ${s.done}/${s.total} (${pct}%)  ${rateText} it/s  elapsed ${clock(secs)}  left ${
    s.done >= s.total ? "0:00" : clock(left)
  }${s.note ? `  ${s.note}` : ""}`;
}

/** HTML bar for the notebook display. Pure. */
export function progressHtml(s: ProgressState): string {
  const pct = s.total > 0 ? Math.min(100, (100 * s.done) / s.total) : 0;
  return `<div class="sharelock-progress" style="font-family:monospace;font-size:12px"><div style="width:320px;height:10px;background:#e5e7eb;` +
    `display:inline-block;vertical-align:middle"><div style="width:${pct.toFixed(1)}%;height:10px;background:#2563eb">` +
    `</div></div> ${escapeHtml(formatProgress(s))}</div>`;
}

function resolveSink(sink: ProgressSink): Exclude<ProgressSink, "auto"> {
  if (sink !== "auto") return sink;
  if (jupyter()) return "notebook";
  return Deno.stderr.isTerminal() ? "terminal" : "log";
}

/** Start a progress display for `total` items. */
export function progress(total: number, label: string, opts: ProgressOptions = {}): Progress {
  const sink = resolveSink(opts.sink ?? "auto");
  const now = opts.now ?? (() => performance.now());
  const write = opts.write ?? ((t: string) => Deno.stderr.writeSync(new TextEncoder().encode(t)));
  const interval = opts.intervalMs ?? 250;
  const start = now();
  const id = `progress-${crypto.randomUUID()}`;
  let count = 0, note: string | undefined, lastShown = -Infinity, lastLogPct = -1, lastLogTime = start;
  let chain: Promise<unknown> = Promise.resolve();
  let shownOnce = false;

  const state = (): ProgressState => ({ label, done: count, total, elapsedMs: now() - start, note });
  const show = (final: boolean) => {
    const s = state();
    if (sink === "notebook") {
      const j = jupyter()!;
      const bundle = { "text/html": progressHtml(s), "text/plain": formatProgress(s) };
      const update = shownOnce;
      shownOnce = true;
      chain = chain.then(() => j.display(bundle, { raw: true, display_id: id, update })).catch(() => {});
    } else if (sink === "terminal") {
      write(`\r${formatProgress(s)}\x1b[K${final ? "\n" : ""}`);
    } else if (sink === "log") {
      const pct = total > 0 ? Math.floor((10 * count) / total) : 0;
      if (final || pct > lastLogPct || now() - lastLogTime > 30_000) {
        write(formatProgress(s) + "\n");
        lastLogPct = pct;
        lastLogTime = now();
      }
    }
  };
  show(false);
  return {
    tick(n = 1, text?: string) {
      count += n;
      if (text !== undefined) note = text;
      if (now() - lastShown >= interval) {
        lastShown = now();
        show(false);
      }
    },
    async done(text?: string) {
      if (text !== undefined) note = text;
      show(true);
      await chain;
      if (sink === "notebook") await settleOutput(); // the final state goes out under this cell
    },
  };
}
