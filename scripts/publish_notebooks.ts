/**
 * Commit-ready executed notebooks: each notebook of `notebooks/` replaced by its executed copy from a
 * headless run (`outputs/reports/<name>.ipynb`), stripped of volatile metadata and with this machine's
 * folders written relative (`lib/report/executed.ts`), so that GitHub, VS Code and Jupyter show the
 * results without running anything. `deno task reproduce` calls {@link publishNotebooks} after a run of
 * every notebook in which all succeeded. It refuses (naming the notebook) an executed copy whose code
 * differs from the notebook's, one that still shows an absolute path, or one over 3 MB.
 *
 *   deno run -A scripts/publish_notebooks.ts       # from outputs/reports/
 *
 * @example
 * ```ts
 * import { publishNotebooks } from "./publish_notebooks.ts";
 * const written = await publishNotebooks(".", "outputs/reports");   // ["notebooks/00_setup.ipynb", ...]
 * ```
 */
import { join } from "node:path";
import { absolutePaths, type NotebookJson, sameSource, stripNotebook } from "../lib/report/executed.ts";
import { writeFileAtomic } from "../lib/runtime/atomic.ts";
import { projectPaths } from "../lib/runtime/paths.ts";

/** Largest committed notebook. */
export const MAX_NOTEBOOK_BYTES = 3 * 1024 * 1024;

/**
 * This machine's folders and what committed outputs say instead (repository root: relative paths). The
 * cache and outputs folders are keyed bare, so a configuration table that shows them without a file is
 * covered as well as the files under them.
 */
export function machineFolders(root: string): Record<string, string> {
  const paths = projectPaths(), home = Deno.env.get("HOME");
  const cache = paths.cache.replace(/\/$/, ""), outputs = paths.outputs.replace(/\/$/, "");
  return {
    [`${root.replace(/\/$/, "")}/`]: "",
    [cache]: "$SHARELOCK_CACHE_DIR",
    [outputs]: "outputs",
    ...(home && home.length > 1 ? { [`${home.replace(/\/$/, "")}/`]: "~/" } : {}),
  };
}

/** Replace every notebook under `<root>/notebooks` by its stripped executed copy from `reports`; returns the files written. */
export async function publishNotebooks(root: string, reports: string): Promise<string[]> {
  const names = [...Deno.readDirSync(join(root, "notebooks"))].filter((e) => e.isFile && e.name.endsWith(".ipynb")).map((e) => e.name).sort();
  const ready: [string, string][] = [];
  for (const name of names) {
    const target = join(root, "notebooks", name), source = join(reports, name);
    let executed: NotebookJson;
    try {
      executed = JSON.parse(await Deno.readTextFile(source));
    } catch (err) {
      throw new Error(`${source}: no executed copy of notebooks/${name} (${(err as Error).message})`);
    }
    if (!sameSource(executed, JSON.parse(await Deno.readTextFile(target)))) {
      throw new Error(`${source}: its code differs from notebooks/${name} (edited after the run?); run the notebook again`);
    }
    const nb = stripNotebook(executed, machineFolders(root));
    const left = absolutePaths(nb);
    if (left.length) throw new Error(`${source}: outputs still show absolute paths of this machine: ${left.slice(0, 5).join(", ")}`);
    const body = JSON.stringify(nb, null, 1) + "\n";
    const bytes = new TextEncoder().encode(body).length;
    if (bytes > MAX_NOTEBOOK_BYTES) throw new Error(`${source}: ${(bytes / 1048576).toFixed(1)} MB with its outputs, over the ${MAX_NOTEBOOK_BYTES / 1048576} MB limit`);
    ready.push([target, body]);
  }
  // every notebook checked before any is written: a refusal leaves notebooks/ as it was
  for (const [target, body] of ready) await writeFileAtomic(target, body);
  return ready.map(([t]) => t);
}

if (import.meta.main) {
  const paths = projectPaths();
  try {
    const written = await publishNotebooks(paths.root, join(paths.outputs, "reports"));
    console.log(`${written.length} executed notebooks written to notebooks/`);
  } catch (err) {
    console.error(`publish_notebooks: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
