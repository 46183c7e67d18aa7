/**
 * TypeScript face of `run_notebooks.py`: executes notebooks headless with the Deno kernel and returns
 * one result per notebook. Used by `deno task reproduce` / `deno task report` and by the tests.
 *
 * @example
 * ```ts
 * const env = await ensureEnvironment();
 * const [r] = await runNotebooks(["notebooks/00_setup.ipynb"], { outDir: "outputs/reports", ...env });
 * if (!r.ok) console.error(`${r.notebook}: cell ${r.failed_cell}: ${r.error}`);
 * ```
 */
import { fileURLToPath } from "node:url";

/** What the runner reports for one notebook. */
export interface NotebookResult {
  notebook: string;
  path: string;
  ok: boolean;
  /** Code cells executed. */
  cells: number;
  /** 1-based index (among all cells) of the cell that failed. */
  failed_cell: number | null;
  error: string | null;
  seconds: number;
  ipynb: string;
  html: string | null;
}

/** Options of {@link runNotebooks}. */
export interface RunOptions {
  /** Folder for `<name>.ipynb`, `<name>.html`, `<name>.kernel.log`. */
  outDir: string;
  /** Python with nbformat, jupyter_client and nbconvert. */
  python: string;
  /** Folder holding `kernels/deno/kernel.json` (from `ensureRunnerKernel`). */
  jupyterPath: string;
  /** Seconds one cell may run (default 2 h). */
  cellTimeout?: number;
  /** Extra environment for the kernels. */
  env?: Record<string, string>;
  /** Show the runner's per-cell progress on stderr (default true). */
  progress?: boolean;
}

const RUNNER = fileURLToPath(new URL("./run_notebooks.py", import.meta.url));

/** Execute notebooks one after another; a failing notebook does not stop the others. */
export async function runNotebooks(paths: string[], opts: RunOptions): Promise<NotebookResult[]> {
  const args = [RUNNER, "--out-dir", opts.outDir, "--timeout", String(opts.cellTimeout ?? 7200), ...paths];
  const child = new Deno.Command(opts.python, {
    args,
    env: { JUPYTER_PATH: opts.jupyterPath, ...opts.env },
    stdout: "piped",
    stderr: opts.progress === false ? "null" : "inherit",
  }).spawn();
  const out = new TextDecoder().decode((await child.output()).stdout);
  const results = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as NotebookResult);
  if (results.length !== paths.length) {
    throw new Error(`the notebook runner stopped early (${results.length}/${paths.length} notebooks reported):\n${out}`);
  }
  return results;
}
