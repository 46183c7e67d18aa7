/**
 * The examples of `docs/ablations.md`, generated: each is a one-line edit of a notebook's configuration
 * cell, run headless on a copy under `outputs/ablations/<id>/` of the repository (its own outputs folder, so
 * the real `outputs/summary.json` is untouched; the cache is shared, so only the new variant's models train), and
 * the doc shows the edit and what the notebook then printed: the tables named in the example and its
 * finding. A line that is no longer in the notebook fails the run (and `tests/ablation_examples_test.ts`).
 *
 *   deno run -A scripts/ablation_examples.ts                 # every example; rewrites the generated part of the doc
 *   deno run -A scripts/ablation_examples.ts temperature     # one example
 *
 * @example
 * ```ts
 * import { applyEdit, EXAMPLES } from "./ablation_examples.ts";
 * const nb = JSON.parse(Deno.readTextFileSync("notebooks/07_ablations.ipynb"));
 * const edited = applyEdit(nb, EXAMPLES[0].from, EXAMPLES[0].to);
 * ```
 */
import { join } from "node:path";
import { projectPaths } from "../lib/runtime/paths.ts";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import type { NotebookJson } from "../lib/report/executed.ts";
import { runNotebooks } from "./notebook_runner.ts";
import { ensureEnvironment } from "./setup.ts";

/** One researcher's tweak: a line of a notebook's configuration cell and what it becomes. */
export interface AblationExample {
  id: string;
  title: string;
  /** What the edit asks. */
  why: string;
  notebook: string;
  from: string;
  to: string;
  /** Tables to show, by the start of their caption. */
  tables: string[];
}

/** The three examples of docs/ablations.md. */
export const EXAMPLES: AblationExample[] = [
  {
    id: "temperature",
    title: "One more fixed temperature",
    why: "Is τ = 0.05, between the paper's 0.07 and 0.03, any better?",
    notebook: "07_ablations",
    from: "  temperatures: [0.01, 0.03, 0.07, 0.2],",
    to: "  temperatures: [0.01, 0.03, 0.05, 0.07, 0.2],",
    tables: ["Temperature ("],
  },
  {
    id: "architecture",
    title: "A wider projection instead of a narrower one",
    why: "Does the caption MLP gain from twice the hidden width?",
    notebook: "07_ablations",
    from: "    [`MLP ${mlp.layers} layers × ${mlp.hidden! / 2}`]: { projection: { ...mlp, hidden: mlp.hidden! / 2 } },",
    to: "    [`MLP ${mlp.layers} layers × ${mlp.hidden! * 2}`]: { projection: { ...mlp, hidden: mlp.hidden! * 2 } },",
    tables: ["Projection architecture ("],
  },
  {
    id: "language-model",
    title: "Another language model in notebook 06",
    why: "Where does a skip-gram model trained on the whole GCIDE dictionary (notebook 02's top rung) rank?",
    notebook: "06_language_model_choice",
    from: "  encoders: [...CAPTIONS.language, sl.LIT_BAG_OF_WORDS],",
    to: '  encoders: [...CAPTIONS.language, "skipgram-gcide-100-d100", sl.LIT_BAG_OF_WORDS],',
    tables: ["Every evaluation ("],
  },
];

type Cell = NotebookJson["cells"][number];
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : String(c.source));

/** The notebook with exactly one line of one code cell replaced; throws when `from` is not there exactly once. Pure. */
export function applyEdit(nb: NotebookJson, from: string, to: string): NotebookJson {
  const hits = nb.cells.flatMap((c, i) => (c.cell_type === "code" ? text(c).split("\n").filter((l) => l === from).map(() => i) : []));
  if (hits.length !== 1) throw new Error(`applyEdit: the line ${JSON.stringify(from)} occurs ${hits.length} times in the code cells (want exactly 1)`);
  const cells = nb.cells.map((c, i) => {
    if (i !== hits[0]) return c;
    const lines = text(c).split("\n").map((l) => (l === from ? to : l));
    return { ...c, source: lines.map((l, k) => (k < lines.length - 1 ? `${l}\n` : l)), outputs: [], execution_count: null };
  });
  return { ...nb, cells };
}

/** The plain-text outputs of an executed notebook whose text starts with one of `starts`, and its finding. Pure. */
export function shownOutputs(nb: NotebookJson, starts: readonly string[]): { tables: string[]; finding: string } {
  const outs = nb.cells.flatMap((c) => (c.outputs ?? []) as { data?: Record<string, string | string[]> }[]);
  const get = (o: { data?: Record<string, string | string[]> }, k: string) => {
    const v = o.data?.[k];
    return v === undefined ? undefined : Array.isArray(v) ? v.join("") : v;
  };
  const plain = outs.map((o) => get(o, "text/plain") ?? "");
  const tables = starts.map((s) => {
    const hit = plain.find((t) => t.startsWith(s));
    if (!hit) throw new Error(`shownOutputs: no output starts with ${JSON.stringify(s)}`);
    return hit;
  });
  const findings = outs.map((o) => get(o, "text/markdown") ?? "").filter((t) => t.includes("Finding (this run)"));
  if (!findings.length) throw new Error("shownOutputs: the notebook shows no finding");
  return { tables, finding: findings.at(-1)! };
}

/** The markdown of one example: the edit, then what the notebook printed. Pure. */
export function exampleMarkdown(ex: AblationExample, shown: { tables: string[]; finding: string }): string {
  return [
    `### ${ex.title}`,
    "",
    `${ex.why} In \`notebooks/${ex.notebook}.ipynb\`, the configuration cell:`,
    "",
    "```diff",
    `-${ex.from}`,
    `+${ex.to}`,
    "```",
    "",
    "The notebook then prints (among its other tables):",
    "",
    ...shown.tables.flatMap((t) => ["```text", t.trimEnd(), "```", ""]),
    shown.finding.split("\n").map((l) => `> ${l}`.trimEnd()).join("\n"),
  ].join("\n");
}

const BEGIN = "<!-- examples:begin -->", END = "<!-- examples:end -->";

async function main() {
  const paths = projectPaths(), ids = Deno.args;
  const chosen = ids.length ? EXAMPLES.filter((e) => ids.includes(e.id)) : EXAMPLES;
  if (!chosen.length) throw new Error(`no example named ${ids.join(", ")} (have ${EXAMPLES.map((e) => e.id).join(", ")})`);
  const env = await ensureEnvironment();
  const doc = join(paths.root, "docs", "ablations.md");
  let body = await Deno.readTextFile(doc);
  for (const ex of chosen) {
    // inside the repository, so that the kernel finds deno.json (the npm imports) above the copy
    const dir = join(paths.root, "outputs", "ablations", ex.id);
    await Deno.mkdir(join(dir, "reports"), { recursive: true });
    const nb = applyEdit(JSON.parse(await Deno.readTextFile(join(paths.root, "notebooks", `${ex.notebook}.ipynb`))), ex.from, ex.to);
    const lib = JSON.stringify(new URL("../lib/mod.ts", import.meta.url).href);
    const copy = { ...nb, cells: nb.cells.map((c) => c.cell_type === "code" ? { ...c, source: text(c).replaceAll('"../lib/mod.ts"', lib) } : c) };
    const path = join(dir, `${ex.notebook}.ipynb`);
    await Deno.writeTextFile(path, JSON.stringify(copy, null, 1));
    console.error(`${ex.id}: running ${ex.notebook} with ${ex.to.trim()}`);
    const [r] = await runNotebooks([path], { outDir: join(dir, "reports"), ...env, env: { SHARELOCK_OUTPUTS_DIR: join(dir, "outputs") } });
    if (!r.ok) throw new Error(`${ex.id}: the notebook failed at cell ${r.failed_cell}: ${r.error}`);
    const shown = shownOutputs(JSON.parse(await Deno.readTextFile(r.ipynb)), ex.tables);
    const start = `<!-- example:${ex.id} -->`, stop = `<!-- /example:${ex.id} -->`, block = `${start}\n${exampleMarkdown(ex, shown)}\n${stop}`;
    const i = body.indexOf(BEGIN), j = body.indexOf(END);
    if (i < 0 || j < i) throw new Error(`${doc}: no ${BEGIN} ... ${END} block`);
    const inner = body.slice(i + BEGIN.length, j);
    const next = inner.includes(start)
      ? inner.slice(0, inner.indexOf(start)) + block + inner.slice(inner.indexOf(stop) + stop.length)
      : `${inner.trimEnd()}\n\n${block}\n`;
    body = body.slice(0, i + BEGIN.length) + next + body.slice(j);
    await writeFileAtomic(doc, body);
    console.error(`${ex.id}: ${doc} updated (${r.seconds.toFixed(0)} s)`);
  }
}

if (import.meta.main) await main();
