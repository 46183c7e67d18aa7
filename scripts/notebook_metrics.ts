/**
 * How much code the notebooks hold, per notebook in `notebooks/` and over all of them: code lines
 * (non-blank lines of code cells that are not only comment), code cells, the median and the longest code
 * cell in code lines, lines of code cells over 110 characters, and non-null assertions (`x!`), found with
 * the TypeScript parser, so a `!` in a string or comment is not one.
 *
 * `deno run -A scripts/notebook_metrics.ts [FOLDER] [--json]`: a markdown table, or the rows as JSON, of the
 * notebooks in `notebooks/` or in FOLDER (for example another checkout's, to compare).
 *
 * @example
 * ```ts
 * import { metricsTable, notebookMetrics, overall } from "./notebook_metrics.ts";
 * const nb = { cells: [{ cell_type: "code", source: ["const x = f()!;\n", "// why\n", "x.y;"] }] };
 * const m = notebookMetrics("toy", nb);   // { codeLines: 2, codeCells: 1, nonNullAssertions: 1, ... }
 * console.log(metricsTable([m, overall([m])]));
 * ```
 */
import { basename, join } from "node:path";
import ts from "typescript";

/** A cell of a notebook file (nbformat 4), as far as the metrics read it. */
export interface NotebookCell {
  cell_type: string;
  source: string | string[];
}

/** What the metrics read of a notebook file. */
export interface NotebookJson {
  cells: NotebookCell[];
}

/** The metrics of one notebook, or of several (`overall`). */
export interface NotebookMetrics {
  notebook: string;
  /** Non-blank lines of code cells that hold code, not only comment. */
  codeLines: number;
  codeCells: number;
  /** Median of the code cells' code lines. */
  medianCellLines: number;
  /** Code lines of the longest code cell, and where it is (`cell N`, 1-based among all cells). */
  longestCell: { lines: number; at: string };
  /** Lines of code cells (comments included) longer than 110 characters. */
  linesOver110: number;
  /** Non-null assertion expressions (`x!`). */
  nonNullAssertions: number;
  /** Code lines of each code cell, in order (for `overall`'s median). */
  cellLines: number[];
}

/** Over this many characters a line counts as long. */
export const LONG_LINE = 110;

/** The text of a cell. Pure. */
const cellText = (c: NotebookCell) => (Array.isArray(c.source) ? c.source.join("") : c.source);

/** Code lines and non-null assertions of one cell's TypeScript: a line is code when a token other than comment lies on it. Pure. */
export function cellCode(source: string): { codeLines: number; nonNullAssertions: number } {
  const file = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines = new Set<number>();
  let nonNull = 0;
  const visit = (node: ts.Node) => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return; // doc comments are comment
    if (ts.isNonNullExpression(node)) nonNull++;
    const children = node.getChildren(file);
    if (!children.length && node.getStart(file) < node.getEnd()) { // a token with text (not an empty list, not the end of file)
      const from = file.getLineAndCharacterOfPosition(node.getStart(file)).line, to = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      for (let l = from; l <= to; l++) lines.add(l);
    }
    children.forEach(visit);
  };
  visit(file);
  return { codeLines: lines.size, nonNullAssertions: nonNull };
}

/** The median of `xs` (0 when empty). Pure. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b), mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The metrics of one notebook's code cells. Pure. */
export function notebookMetrics(name: string, nb: NotebookJson): NotebookMetrics {
  let codeLines = 0, linesOver110 = 0, nonNullAssertions = 0;
  const cellLines: number[] = [];
  let longestCell = { lines: 0, at: "-" };
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    const text = cellText(c), code = cellCode(text);
    codeLines += code.codeLines;
    nonNullAssertions += code.nonNullAssertions;
    linesOver110 += text.split("\n").filter((l) => l.length > LONG_LINE).length;
    cellLines.push(code.codeLines);
    if (code.codeLines > longestCell.lines) longestCell = { lines: code.codeLines, at: `cell ${i + 1}` };
  });
  return { notebook: name, codeLines, codeCells: cellLines.length, medianCellLines: median(cellLines), longestCell, linesOver110, nonNullAssertions, cellLines };
}

/** One row over several notebooks: sums, the median over all their code cells, the longest of all. Pure. */
export function overall(rows: readonly NotebookMetrics[], name = "all notebooks"): NotebookMetrics {
  const sum = (f: (m: NotebookMetrics) => number) => rows.reduce((a, m) => a + f(m), 0);
  const cellLines = rows.flatMap((m) => m.cellLines);
  const top = rows.reduce<NotebookMetrics | undefined>((a, m) => (!a || m.longestCell.lines > a.longestCell.lines ? m : a), undefined);
  return {
    notebook: name,
    codeLines: sum((m) => m.codeLines),
    codeCells: sum((m) => m.codeCells),
    medianCellLines: median(cellLines),
    longestCell: top ? { lines: top.longestCell.lines, at: `${top.notebook} ${top.longestCell.at}` } : { lines: 0, at: "-" },
    linesOver110: sum((m) => m.linesOver110),
    nonNullAssertions: sum((m) => m.nonNullAssertions),
    cellLines,
  };
}

/** The rows as a markdown table. Pure. */
export function metricsTable(rows: readonly NotebookMetrics[]): string {
  const head = ["notebook", "code lines", "code cells", "median cell", "longest cell", `lines > ${LONG_LINE} chars`, "`!` assertions"];
  const body = rows.map((m) => [m.notebook, m.codeLines, m.codeCells, m.medianCellLines, `${m.longestCell.lines} (${m.longestCell.at})`, m.linesOver110, m.nonNullAssertions].map(String));
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map((_, i) => (i ? "---:" : "---"))), ...body.map(line)].join("\n");
}

/** The metrics of every notebook in `dir`, by file name, and the row over all of them. */
export function notebooksMetrics(dir: string): NotebookMetrics[] {
  const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ipynb")).map((e) => e.name).sort();
  const rows = files.map((f) => notebookMetrics(basename(f, ".ipynb"), JSON.parse(Deno.readTextFileSync(join(dir, f))) as NotebookJson));
  return [...rows, overall(rows)];
}

if (import.meta.main) {
  const folder = Deno.args.find((a) => !a.startsWith("--")) ?? new URL("../notebooks", import.meta.url).pathname;
  const rows = notebooksMetrics(folder);
  console.log(Deno.args.includes("--json") ? JSON.stringify(rows.map(({ cellLines: _, ...m }) => m), null, 1) : metricsTable(rows));
}
