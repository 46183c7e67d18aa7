/**
 * Executed notebooks as they are committed: the runner's output (`outputs/reports/<name>.ipynb`) with the
 * volatile metadata stripped (execution counts, timings, kernel-session ids), the machine's folders
 * written relative, and checks that tests and the publishing step share: which absolute paths remain, the
 * key figures an executed notebook shows, whether its code is the committed notebook's.
 *
 * @example
 * ```ts
 * import { absolutePaths, shownFigures, stripNotebook } from "./executed.ts";
 * const executed = { cells: [{ cell_type: "code", source: ["1 + 1"], execution_count: 3, metadata: { execution: {} }, outputs: [] }], metadata: {}, nbformat: 4, nbformat_minor: 5 };
 * const nb = stripNotebook(executed, { "/home/me/sharelock/": "" });
 * absolutePaths(nb);   // []
 * shownFigures(nb);    // {}
 * ```
 */
import { FIGURES_CLASS, type Figure } from "./summary.ts";

/** A notebook as JSON (nbformat 4), loosely typed. */
export interface NotebookJson {
  cells: { cell_type: string; source: string | string[]; metadata?: Record<string, unknown>; outputs?: Record<string, unknown>[]; execution_count?: number | null; id?: string }[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** Notebook-level metadata kept when committing (the rest is the run's). */
const KEPT_METADATA = ["kernelspec", "language_info"];

const text = (s: string | string[]) => (Array.isArray(s) ? s.join("") : s);

/** Replace every key of `replace` in a JSON value's strings (keys, longest first). Pure. */
function rewrite(value: unknown, replace: [string, string][]): unknown {
  if (typeof value === "string") return replace.reduce((s, [from, to]) => s.replaceAll(from, to), value);
  if (Array.isArray(value)) return value.map((v) => rewrite(v, replace));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, replace)]));
  return value;
}

/**
 * The notebook to commit: execution counts cleared (cells and results), cell metadata without the run's
 * timings, notebook metadata reduced to the kernel and language, and in every output each key of
 * `folders` (a folder of this machine, e.g. the repository root with its trailing slash) replaced by its
 * value. Pure.
 */
export function stripNotebook(nb: NotebookJson, folders: Record<string, string>): NotebookJson {
  const replace = Object.entries(folders).filter(([k]) => k.length > 1).sort((a, b) => b[0].length - a[0].length);
  const cells = nb.cells.map((c) => {
    const { execution: _, ...metadata } = (c.metadata ?? {}) as Record<string, unknown>;
    if (c.cell_type !== "code") return { ...c, metadata };
    const outputs = (c.outputs ?? []).map((o) => rewrite("execution_count" in o ? { ...o, execution_count: null } : o, replace) as Record<string, unknown>);
    return { ...c, metadata, execution_count: null, outputs };
  });
  const metadata = Object.fromEntries(KEPT_METADATA.filter((k) => k in nb.metadata).map((k) => [k, nb.metadata[k]]));
  return { ...nb, cells, metadata };
}

/** Absolute paths of a machine (home, work and temporary folders, Windows drives) found in the outputs. Pure. */
export function absolutePaths(nb: NotebookJson): string[] {
  const found = new Set<string>();
  const pattern = /(?:^|[\s"'`(=:])((?:\/(?:home|root|work|tmp|Users|var\/folders|private)\/|[A-Z]:\\\\)[^\s"'`)<>]*)/g;
  for (const c of nb.cells) {
    for (const o of c.outputs ?? []) for (const m of JSON.stringify(o).matchAll(pattern)) found.add(m[1]);
  }
  return [...found];
}

/** The key figures the notebook's outputs show (`figuresBundle`'s `data-figures`), merged over its cells in order. Pure. */
export function shownFigures(nb: NotebookJson): Record<string, Figure> {
  const figures: Record<string, Figure> = {};
  const attr = new RegExp(`class="${FIGURES_CLASS}" data-figures="([^"]*)"`, "g");
  const unescape = (s: string) => s.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
  for (const c of nb.cells) {
    for (const o of c.outputs ?? []) {
      const html = ((o.data ?? {}) as Record<string, unknown>)["text/html"];
      const text = Array.isArray(html) ? html.join("") : typeof html === "string" ? html : "";
      for (const m of text.matchAll(attr)) Object.assign(figures, JSON.parse(unescape(m[1])));
    }
  }
  return figures;
}

/** Code cells that have no output at all. Pure. */
export function codeCellsWithOutputs(nb: NotebookJson): { code: number; withOutputs: number } {
  const code = nb.cells.filter((c) => c.cell_type === "code");
  return { code: code.length, withOutputs: code.filter((c) => (c.outputs ?? []).length > 0).length };
}

/** Whether two notebooks hold the same cells (types and sources), outputs aside. Pure. */
export function sameSource(a: NotebookJson, b: NotebookJson): boolean {
  return a.cells.length === b.cells.length && a.cells.every((c, i) => c.cell_type === b.cells[i].cell_type && text(c.source) === text(b.cells[i].source));
}
