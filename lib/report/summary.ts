/**
 * `outputs/summary.json`: each notebook's key figures (accuracies, the Pearson r, timings) and how its
 * last run went, so that one run can be compared with the one before (`summary.previous.json`).
 *
 * @example
 * ```ts
 * await recordFigures("01_zero_shot_probing", { "use_lite/top1": 0.31 });
 * const changes = diffSummaries(await readSummary("outputs/summary.previous.json"),
 *                               await readSummary("outputs/summary.json"));
 * ```
 */
import { dirname, join } from "node:path";
import { readJsonOr, writeJsonAtomic } from "../runtime/atomic.ts";
import { projectPaths } from "../runtime/paths.ts";
import { escapeHtml, jupyter } from "../runtime/jupyter.ts";

/** The class of the HTML element that shows recorded figures; its `data-figures` attribute holds them as JSON. */
export const FIGURES_CLASS = "sharelock-figures";

/** A key figure: a number, or a short text (a backend name, a version). */
export type Figure = number | string | boolean | null;

/** How one headless run of a notebook went (written by the runner). */
export interface NotebookRun {
  ok: boolean;
  seconds: number;
  finished: string;
  failedCell?: number | null;
  error?: string | null;
}

/** One notebook's entry in the summary. */
export interface NotebookSummary {
  /** Key figures the notebook recorded, by name: those of its last successful run. */
  figures: Record<string, Figure>;
  /**
   * When the run that recorded `figures` finished (set by the runner): `run.finished` after a successful
   * run; after a failed one, the earlier successful run's time (absent when none is known).
   */
  figuresFrom?: string;
  /** How the last headless run went (written by the runner). */
  run?: NotebookRun;
}

/** The whole summary file. */
export interface Summary {
  updated: string;
  notebooks: Record<string, NotebookSummary>;
}

/** Path of the summary file under an outputs folder. */
export function summaryPath(outputs = projectPaths().outputs): string {
  return join(outputs, "summary.json");
}

/** Read a summary file; an absent file is an empty summary. */
export async function readSummary(path: string = summaryPath()): Promise<Summary> {
  const s = await readJsonOr<Summary>(path, { updated: "", notebooks: {} });
  if (typeof s !== "object" || s === null || typeof s.notebooks !== "object") {
    throw new Error(`${path}: not a summary file (no "notebooks" object)`);
  }
  return s;
}

async function update(path: string, notebook: string, change: (entry: NotebookSummary) => NotebookSummary | void): Promise<Summary> {
  return await withFileLock(`${path}.lock`, async () => {
    const summary = await readSummary(path);
    const entry = summary.notebooks[notebook] ?? { figures: {} };
    summary.notebooks[notebook] = change(entry) ?? entry;
    summary.updated = new Date().toISOString();
    await writeJsonAtomic(path, summary);
    return summary;
  });
}

/**
 * Run `work` holding an exclusive lock on the file `lock` (created when absent), so that notebooks run side
 * by side (`deno task reproduce --jobs 2`: two kernels and the runner) read and write the summary one at a
 * time and none loses another's figures. The lock is the operating system's: a process that dies lets go.
 */
export async function withFileLock<T>(lock: string, work: () => Promise<T>): Promise<T> {
  await Deno.mkdir(dirname(lock), { recursive: true });
  const file = await Deno.open(lock, { read: true, write: true, create: true });
  try {
    await file.lock(true);
    return await work();
  } finally {
    file.close();
  }
}

/** JSON's form of a figure: non-finite numbers become `null` (JSON has no NaN), so that they stay visible. Pure. */
export function storedFigure(v: Figure): Figure {
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

/**
 * The notebook output that shows recorded figures: a folded table (HTML, whose element carries the
 * figures as JSON in `data-figures`, read back by `shownFigures`) and the same as text. Pure.
 */
export function figuresBundle(notebook: string, figures: Record<string, Figure>): Record<string, string> {
  const names = Object.keys(figures).sort();
  const value = (v: Figure) => (v === null ? "null" : String(v));
  const rows = names.map((k) => `<tr><td style="text-align:left">${escapeHtml(k)}</td><td style="text-align:left">${escapeHtml(value(figures[k]))}</td></tr>`).join("");
  const title = `${names.length} key figures recorded for ${notebook} (outputs/summary.json, published to results/summary.json)`;
  const data = escapeHtml(JSON.stringify(Object.fromEntries(names.map((k) => [k, storedFigure(figures[k])]))));
  return {
    "text/html": `<details class="${FIGURES_CLASS}" data-figures="${data}"><summary>${escapeHtml(title)}</summary><table>${rows}</table></details>`,
    "text/plain": [title, ...names.map((k) => `${k}: ${value(figures[k])}`)].join("\n"),
  };
}

/**
 * Merge key figures into a notebook's entry (existing names are overwritten, others kept; non-finite
 * numbers are stored as `null`). In a notebook the figures are also shown, folded, under the cell
 * ({@link figuresBundle}), so that the executed notebook carries what the summary holds.
 */
export async function recordFigures(
  notebook: string,
  figures: Record<string, Figure>,
  path: string = summaryPath(),
): Promise<Summary> {
  const summary = await update(path, notebook, (entry) => {
    for (const [k, v] of Object.entries(figures)) entry.figures[k] = storedFigure(v);
  });
  await jupyter()?.display(figuresBundle(notebook, figures), { raw: true });
  return summary;
}

/**
 * Forget a notebook's key figures (its last run's state is kept): the runner calls this before a run,
 * so that the summary holds exactly the figures of each notebook's latest successful run, not names left
 * from an earlier configuration ({@link recordNotebookRun} puts the earlier figures back when the run fails).
 */
export function clearFigures(notebook: string, path: string = summaryPath()): Promise<Summary> {
  return update(path, notebook, (entry) => {
    entry.figures = {};
  });
}

/**
 * A notebook's entry after a headless run. Pure. `before`: its entry before the run (before
 * {@link clearFigures}); `during`: its entry as the run left it. A successful run keeps the figures it
 * recorded; a failed run never clears or half-replaces them: the entry keeps `before`'s figures (those of
 * the last successful run, `figuresFrom` saying when it finished) and records the failure in `run`.
 *
 * @example
 * ```ts
 * const before = { figures: { top1: 0.5 }, figuresFrom: "t0", run: { ok: true, seconds: 9, finished: "t0" } };
 * settledEntry(before, { figures: { top1: 0.1 } }, { ok: false, seconds: 2, finished: "t1", error: "boom" });
 * // { figures: { top1: 0.5 }, figuresFrom: "t0", run: { ok: false, ... } }
 * ```
 */
export function settledEntry(before: NotebookSummary | undefined, during: NotebookSummary | undefined, run: NotebookRun): NotebookSummary {
  if (run.ok) return { figures: { ...during?.figures }, figuresFrom: run.finished, run };
  const from = before?.figuresFrom ?? (before?.run?.ok ? before.run.finished : undefined);
  return { figures: { ...before?.figures }, ...(from !== undefined ? { figuresFrom: from } : {}), run };
}

/** Record how a notebook's headless run went, settling its figures as {@link settledEntry} says (used by the runner). */
export function recordNotebookRun(notebook: string, before: NotebookSummary | undefined, run: NotebookRun, path: string = summaryPath()): Promise<Summary> {
  return update(path, notebook, (during) => settledEntry(before, during, run));
}

/** Record how a run of a stage went, figures untouched (used by the runner for the extraction stage). */
export function recordRun(
  notebook: string,
  run: NotebookRun,
  path: string = summaryPath(),
): Promise<Summary> {
  return update(path, notebook, (entry) => {
    entry.run = run;
  });
}

/** One key figure that differs between two runs. */
export interface FigureChange {
  notebook: string;
  figure: string;
  before: Figure | undefined;
  after: Figure | undefined;
  /** after - before, when both are numbers. */
  delta?: number;
}

/**
 * Key figures that changed between two summaries (added, removed or different).
 * Numbers closer than `tolerance` (absolute) count as equal.
 */
export function diffSummaries(before: Summary, after: Summary, tolerance = 0): FigureChange[] {
  const changes: FigureChange[] = [];
  const notebooks = new Set([...Object.keys(before.notebooks), ...Object.keys(after.notebooks)]);
  for (const nb of [...notebooks].sort()) {
    const a = before.notebooks[nb]?.figures ?? {};
    const b = after.notebooks[nb]?.figures ?? {};
    for (const fig of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const x = a[fig], y = b[fig];
      if (typeof x === "number" && typeof y === "number") {
        if (Math.abs(y - x) > tolerance) changes.push({ notebook: nb, figure: fig, before: x, after: y, delta: y - x });
      } else if (x !== y) {
        changes.push({ notebook: nb, figure: fig, before: x, after: y });
      }
    }
  }
  return changes;
}
