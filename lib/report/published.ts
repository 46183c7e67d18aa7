/**
 * Published results: `results/summary.json` (the key figures of each notebook's last successful run, when
 * and at which commit), the README's results table between `<!-- results:begin -->` and
 * `<!-- results:end -->`, and `docs/results.md`. Everything here is pure: the same summary gives the same
 * bytes, so a test can tell a hand-edited number from a generated one.
 *
 * @example
 * ```ts
 * const results = publishedResults({ updated: "2026-12-06T05:00:00Z", notebooks: { "00_setup": { figures: { deno: "2.9.5" } } } },
 *   { commit: "abc1234", settings: {} });
 * const readme = withResultsBlock("# p\n<!-- results:begin -->\n<!-- results:end -->\n", readmeResultsBlock(results, () => []));
 * const page = resultsPage(results);
 * ```
 */
import type { Figure, Summary } from "./summary.ts";
import { claimRows, type PaperTables, parsePaired } from "./claims.ts";
import { roughDuration } from "./format.ts";
import { CAPTION_SEED_COUNT } from "../runtime/env.ts";

/** The markers around the README's generated results table. */
export const RESULTS_BEGIN = "<!-- results:begin -->";
export const RESULTS_END = "<!-- results:end -->";

/** What `results/summary.json` holds for one notebook. */
export interface PublishedNotebook {
  /** Whether the notebook's last run succeeded (its figures are then that run's). */
  ok: boolean;
  /** When the run that recorded the figures finished. */
  figuresFrom: string | null;
  /** Seconds the last run took. */
  seconds: number | null;
  figures: Record<string, Figure>;
}

/** The whole `results/summary.json`. */
export interface PublishedResults {
  /** When the summary it was made from was last updated. */
  updated: string;
  /** The commit the run was made at (`git rev-parse --short HEAD`), "unknown" outside git. */
  commit: string;
  /** The {@link RECORDED_SETTINGS} that were set (empty: the embedded default on every core). */
  settings: Record<string, string>;
  /** CPU cores of the machine the run was made on (absent in results made before it was recorded). */
  cores?: number;
  notebooks: Record<string, PublishedNotebook>;
}

/** The text the README block and docs/results.md show when no results are committed. */
export const NO_RESULTS = "No results yet: run `npx -y deno@2.9.5 task reproduce`, which writes `results/summary.json` and regenerates this from it.";

/**
 * `results/summary.json` from `outputs/summary.json`: notebooks that recorded figures, sorted by name,
 * with their figures (sorted by name) and how the last run went. Pure.
 */
export function publishedResults(summary: Summary, meta: { commit: string; settings: Record<string, string>; cores?: number }): PublishedResults {
  const notebooks: Record<string, PublishedNotebook> = {};
  for (const name of Object.keys(summary.notebooks).sort()) {
    const e = summary.notebooks[name];
    if (!Object.keys(e.figures ?? {}).length) continue;
    notebooks[name] = {
      ok: e.run?.ok ?? true,
      figuresFrom: e.figuresFrom ?? e.run?.finished ?? null,
      seconds: e.run?.seconds ?? null,
      figures: Object.fromEntries(Object.entries(e.figures).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
  }
  return { updated: summary.updated, commit: meta.commit, settings: meta.settings, ...(meta.cores ? { cores: meta.cores } : {}), notebooks };
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/** How long each notebook of the run took (its headless run, with the cache as the run found it). Pure. */
export function runTimes(r: PublishedResults): string {
  const timed = Object.entries(r.notebooks).filter(([, nb]) => nb.seconds !== null);
  if (!timed.length) return "";
  const total = timed.reduce((a, [, nb]) => a + nb.seconds!, 0);
  return `Time of that run${r.cores ? ` on ${r.cores} CPU cores` : ""}: ${timed.map(([name, nb]) => `${name.slice(0, 2)} ${roughDuration(nb.seconds!)}`).join(", ")}; ` +
    `all notebooks ${roughDuration(total)} (features extracted before; models trained in an earlier run are read from the cache, as each notebook says).`;
}

/** The settings a published run records when they are set, and what each changes (said beside it in the provenance line). */
export const RECORDED_SETTINGS: Record<string, (v: string) => string> = {
  SHARELOCK_SEEDS: (v) => `the caption notebooks 03-07 train ${v} run${v === "1" ? "" : "s"} per model and method; the default is ${CAPTION_SEED_COUNT}`,
  SHARELOCK_ORT_THREADS: (v) => `${v} onnxruntime thread${v === "1" ? "" : "s"} per session`,
  SHARELOCK_SCALE: (v) => `${v} scale`,
};

function provenance(r: PublishedResults): string {
  const settings = Object.entries(r.settings).map(([k, v]) => `${k}=${v}${RECORDED_SETTINGS[k] ? ` (${RECORDED_SETTINGS[k](v)})` : ""}`).join(", ");
  return `From \`results/summary.json\`: the run of ${r.updated.slice(0, 10)} at commit \`${r.commit}\`, ` +
    (settings ? `with ${settings}` : "embedded default") + ".";
}

/**
 * The README's results block (without the markers): one row per paper claim, or {@link NO_RESULTS}
 * above the paper's numbers when `results` is null. Pure.
 */
export function readmeResultsBlock(results: PublishedResults | null, tables: PaperTables): string {
  const figures = Object.fromEntries(Object.entries(results?.notebooks ?? {}).map(([k, v]) => [k, v.figures]));
  const rows = claimRows(figures, tables);
  const lines = [
    results ? [provenance(results), runTimes(results), "Every figure and verdict in [docs/results.md](docs/results.md)."].filter(Boolean).join(" ") : NO_RESULTS,
    "",
    "| paper | claim | paper's number | this project (95% interval) | verdict | notebook |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${cell(r.where)} | ${cell(r.claim)} | ${cell(r.paper)} | ${cell(r.ours)} | ${cell(r.verdict)} | [${r.notebook}](notebooks/${r.notebook}.ipynb) |`),
  ];
  return lines.join("\n");
}

const show = (v: Figure) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : String(+v.toPrecision(4))) : v === null ? "-" : String(v));

/** `docs/results.md`: every notebook's key figures and paired verdicts. Pure. */
export function resultsPage(results: PublishedResults | null): string {
  const out = [
    "# Results",
    "",
    "Generated by `scripts/results.ts` from `results/summary.json` (the key figures each notebook records with",
    "`sl.recordFigures`); `tests/results_test.ts` fails when this page differs from what that file generates.",
    "Paired comparisons read `difference [95% interval] verdict`, in points, over runs that share split and seed",
    "([statistics.md](statistics.md)).",
    "",
  ];
  if (!results || !Object.keys(results.notebooks).length) return [...out, NO_RESULTS, ""].join("\n");
  out.push(provenance(results), "");
  for (const [name, nb] of Object.entries(results.notebooks)) {
    const entries = Object.entries(nb.figures);
    // paired verdicts (`paired/...`, and within leakage strata `leakage/...`) go in the comparison table
    const isPair = (k: string) => k.startsWith("paired/") || k.startsWith("leakage/");
    const pairs = entries.filter(([k]) => isPair(k)), plain = entries.filter(([k]) => !isPair(k));
    out.push(`## ${name}`, "");
    out.push(`[notebook](../notebooks/${name}.ipynb); last run ${nb.ok ? "succeeded" : "FAILED (figures from the last successful run)"}` +
      `${nb.seconds !== null ? ` in ${nb.seconds} s` : ""}${nb.figuresFrom ? `; figures from ${nb.figuresFrom}` : ""}.`, "");
    if (plain.length) {
      out.push("| figure | value |", "| --- | --- |", ...plain.map(([k, v]) => `| ${cell(k)} | ${cell(show(v))} |`), "");
    }
    if (pairs.length) {
      out.push("| comparison | difference [95% interval] | verdict |", "| --- | --- | --- |");
      for (const [k, v] of pairs) {
        const p = parsePaired(v);
        out.push(`| ${cell(k.replace(/^paired\//, ""))} | ${p ? `${p.mean.toFixed(2)} [${p.lo.toFixed(2)}, ${p.hi.toFixed(2)}]` : cell(show(v))} | ${p ? p.verdict : "-"} |`);
      }
      out.push("");
    }
  }
  return out.join("\n");
}

/**
 * `text` with everything between the results markers replaced by `block`; an error when the markers are
 * missing or out of order. Pure.
 */
export function withResultsBlock(text: string, block: string, file = "README.md"): string {
  const b = text.indexOf(RESULTS_BEGIN), e = text.indexOf(RESULTS_END);
  if (b < 0 || e < b) throw new Error(`${file}: needs the lines ${RESULTS_BEGIN} and ${RESULTS_END}, in that order, around the results table`);
  return `${text.slice(0, b + RESULTS_BEGIN.length)}\n${block}\n${text.slice(e)}`;
}
