/**
 * TypeScript face of `run_notebooks.py`: executes notebooks headless with the Deno kernel and returns
 * one result per notebook. Used by `deno task reproduce` / `deno task report` and by the tests.
 *
 * @example
 * ```ts
 * import { ensureEnvironment } from "./setup.ts";
 * const env = await ensureEnvironment();
 * const [r] = await runNotebooks(["notebooks/00_setup.ipynb"], { outDir: "outputs/reports", ...env });
 * if (!r.ok) console.error(`${r.notebook}: cell ${r.failed_cell}: ${r.error}`);
 * ```
 */
import { fileURLToPath } from "node:url";
import { bundleProblems } from "../lib/report/display.ts";

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
  /** Also write `<name>.messages.jsonl`, every output message as the kernel sent it (see {@link readMessages}). */
  messages?: boolean;
  /** Stops the run: the runner gets SIGTERM and shuts its kernel down; the promise then rejects. */
  signal?: AbortSignal;
}

/** One output message of a notebook run, as the kernel sent it (`--messages`). */
export interface KernelMessage {
  /** 1-based cell number (among all cells). */
  cell: number;
  msg_type: "display_data" | "execute_result" | "update_display_data" | "stream" | "error" | "clear_output";
  // deno-lint-ignore no-explicit-any
  content: { data?: Record<string, any>; transient?: { display_id?: string }; [k: string]: unknown };
}

/** The output messages of a run made with `messages: true`, in the order they arrived. */
export async function readMessages(result: NotebookResult): Promise<KernelMessage[]> {
  const path = result.ipynb.replace(/\.ipynb$/, ".messages.jsonl");
  return (await Deno.readTextFile(path)).split("\n").filter(Boolean).map((l) => JSON.parse(l) as KernelMessage);
}

/**
 * Outputs of an executed notebook that not every front end renders (see `bundleProblems`): one entry per
 * problem, with the 1-based cell number. nbformat stores multi-line values as lists of lines.
 */
export async function notebookBundleProblems(ipynb: string): Promise<{ cell: number; problem: string }[]> {
  // deno-lint-ignore no-explicit-any
  const nb = JSON.parse(await Deno.readTextFile(ipynb)) as { cells: { outputs?: { data?: Record<string, any> }[] }[] };
  return nb.cells.flatMap((c, i) =>
    (c.outputs ?? []).filter((o) => o.data).flatMap((o) =>
      bundleProblems(Object.fromEntries(Object.entries(o.data!).map(([k, v]) => [k, Array.isArray(v) ? v.join("") : v])))
        .map((problem) => ({ cell: i + 1, problem }))
    )
  );
}

const RUNNER = fileURLToPath(new URL("./run_notebooks.py", import.meta.url));

/** Execute notebooks one after another; a failing notebook does not stop the others. */
export async function runNotebooks(paths: string[], opts: RunOptions): Promise<NotebookResult[]> {
  const args = [RUNNER, "--out-dir", opts.outDir, "--timeout", String(opts.cellTimeout ?? 7200), ...(opts.messages ? ["--messages"] : []), ...paths];
  const child = new Deno.Command(opts.python, {
    args,
    env: { JUPYTER_PATH: opts.jupyterPath, ...opts.env },
    stdout: "piped",
    stderr: opts.progress === false ? "null" : "inherit",
    signal: opts.signal,
  }).spawn();
  const out = new TextDecoder().decode((await child.output()).stdout);
  const results = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as NotebookResult);
  if (results.length !== paths.length) {
    throw new Error(`the notebook runner stopped early (${results.length}/${paths.length} notebooks reported):\n${out}`);
  }
  return results;
}
