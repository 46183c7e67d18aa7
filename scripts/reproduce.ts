/**
 * `deno task reproduce`: set up, extract the embedded default's features (one worker per core; cached,
 * so a second run does no model work), run every notebook in `notebooks/` headless, write the executed
 * notebooks and HTML reports to `outputs/reports/`, update `outputs/summary.json` and print what changed
 * since the last run. `deno task report NOTEBOOK...` does the same for the named notebooks only (they
 * extract what they need themselves); `--no-extract` skips the extraction stage; `--jobs N` runs up to N
 * notebooks side by side (notebooks that share cached work run in order, one at a time; a free slot takes
 * the next notebook of the longest chain of work left, by the last run's times; each notebook's
 * onnxruntime sessions share the cores with the notebooks still to run beside it, unless
 * `SHARELOCK_ORT_THREADS` says; see {@link runGroups}). A run of every notebook
 * ends by publishing its key figures (`scripts/results.ts`: results/summary.json, the README's results
 * table, docs/results.md) and, when every notebook passed, the executed notebooks themselves into
 * `notebooks/` (`scripts/publish_notebooks.ts`); `report` leaves them as they are.
 *
 * A notebook is named by its file, its name, or a prefix that only it has ("03", "03_sharelock"); a
 * prefix of several, or of none, stops the command (exit status 1) with the matching or available names.
 * Exit status 1 when any notebook failed (the others still run; the summary says which failed and keeps
 * each failed notebook's figures from its last successful run). Ctrl-C or SIGTERM shuts the running
 * notebook's kernel down, keeps its last successful figures the same way, and exits with status 130.
 */
import { basename, join, resolve } from "node:path";
import { ensureEnvironment, SetupError } from "./setup.ts";
import { notebookBundleProblems, type NotebookResult, runNotebooks } from "./notebook_runner.ts";
import { clearFigures, diffSummaries, readSummary, recordNotebookRun, recordRun, summaryPath } from "../lib/report/summary.ts";
import { projectPaths } from "../lib/runtime/paths.ts";
import { checkEnvOrExit } from "./check_env.ts";
import { publishResults } from "./results.ts";
import { publishNotebooks } from "./publish_notebooks.ts";

/**
 * Notebooks that share cached work (02 and 08 read 01's probing runs; 04 reads 03's caption models, 05
 * and 06 read 04's): each group runs in order, one notebook at a time, so that none trains what another
 * is training. 07 trains its own ablation models and reads only 03's default ones (ShareLock on the main
 * encoder, one per run), so it runs on its own: beside 03 it may reach one of those before 03 has
 * stored it and train it too (written atomically; either copy serves the key).
 */
export const SHARED_WORK: readonly (readonly string[])[] = [["01", "02", "08"], ["03", "04", "05", "06"]];

/**
 * The notebooks as groups of {@link SHARED_WORK} (a notebook outside them is a group of its own), each
 * in name order, the groups in the order of their first notebook. Pure.
 *
 * @example
 * ```ts
 * workGroups(["07_ablations", "03_sharelock", "01_zero_shot_probing", "04_multilingual"]);
 * // [["01_zero_shot_probing"], ["03_sharelock", "04_multilingual"], ["07_ablations"]]
 * ```
 */
export function workGroups(names: readonly string[]): string[][] {
  const groupOf = (n: string) => SHARED_WORK.findIndex((g) => g.some((p) => n.startsWith(`${p}_`) || n === p));
  const groups = new Map<string, string[]>();
  for (const n of [...names].sort()) {
    const g = groupOf(n), key = g >= 0 ? `group ${g}` : n;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  return [...groups.values()];
}

/**
 * Run the notebooks of `groups`, up to `jobs` at a time: each group's in order, one at a time. A free
 * slot takes the next notebook of the group with the most work left among those not running, by
 * `cost` (seconds; the last run's, or 1 when unknown), then by notebooks left, then by name: the longest
 * chain of work starts first, and a slot whose group is done takes whatever is left. With `jobs` > 1 each
 * notebook starts with the onnxruntime threads `setting` names (`SHARELOCK_ORT_THREADS`), else with the
 * cores shared among the slots that still have work (at most one per unfinished group): notebooks that
 * start when fewer groups are left get more cores. One slot (one job, or one group) runs the notebooks
 * in name order, with `threads` undefined: the notebook keeps the environment's setting, or every core.
 * A group whose `run` throws stops there; the others run to their end; then the first error is thrown.
 * Returns the notebooks each slot ran, in order.
 *
 * @example
 * ```ts
 * await runGroups([["01_a", "02_b"], ["03_c"]], 2, () => 1, 2, undefined, async (name, threads) => {
 *   console.log(`${name} with ${threads} thread(s)`);
 * });
 * ```
 */
export async function runGroups(
  groups: readonly (readonly string[])[],
  jobs: number,
  cost: (name: string) => number,
  cores: number,
  setting: string | undefined,
  run: (name: string, threads: string | undefined) => Promise<void>,
): Promise<string[][]> {
  const left = groups.map((g) => [...g]), running = new Set<number>(), errors: unknown[] = [];
  const work = (i: number) => left[i].reduce((a, n) => a + cost(n), 0);
  const slotCount = Math.max(1, Math.min(jobs, groups.length));
  const byName = (a: number, b: number) => left[a][0].localeCompare(left[b][0]);
  // one slot runs the notebooks in name order (each group's order is its name order)
  const next = (): number | undefined =>
    left.map((_, i) => i).filter((i) => left[i].length && !running.has(i))
      .sort(slotCount === 1 ? byName : (a, b) => work(b) - work(a) || left[b].length - left[a].length || byName(a, b))[0];
  const unfinished = () => left.filter((g, i) => g.length || running.has(i)).length;
  const threads = () => (slotCount > 1 ? setting ?? String(Math.max(1, Math.floor(cores / Math.max(1, Math.min(jobs, unfinished()))))) : undefined);
  const slot = async (): Promise<string[]> => {
    const ran: string[] = [];
    for (let i = next(); i !== undefined; i = next()) {
      const name = left[i].shift()!;
      running.add(i);
      ran.push(name);
      try {
        await run(name, threads());
      } catch (err) {
        errors.push(err);
        left[i] = [];
      } finally {
        running.delete(i);
      }
    }
    return ran;
  };
  const slots = await Promise.all(Array.from({ length: slotCount }, slot));
  if (errors.length) throw errors[0];
  return slots.filter((s) => s.length);
}

/** `--jobs N` (or `--jobs=N`, default 1) and the other arguments; a bad N stops the command. Pure. */
export function jobsArg(args: readonly string[]): { jobs: number; rest: string[] } {
  const rest: string[] = [];
  let jobs = 1;
  for (let i = 0; i < args.length; i++) {
    const m = /^--jobs(?:=(.*))?$/.exec(args[i]);
    if (!m) {
      rest.push(args[i]);
      continue;
    }
    const v = m[1] ?? args[++i];
    jobs = Number(v);
    if (!Number.isInteger(jobs) || jobs < 1) throw new SetupError(`--jobs wants a whole number of notebooks to run side by side, 1 or more; got ${JSON.stringify(v ?? "")}`);
  }
  return { jobs, rest };
}

/** Every notebook in `notebooks/` under `root`, by path, in name order. */
export function allNotebooks(root: string): string[] {
  return [...Deno.readDirSync(join(root, "notebooks"))]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => join(root, "notebooks", e.name))
    .sort();
}

/**
 * The one notebook of `names` (file names without `.ipynb`) that `arg` is a prefix of ("03",
 * "03_sharelock"); an error listing the matches when several are, or every name when none is. Pure.
 */
export function notebookByPrefix(arg: string, names: string[]): string {
  const matches = names.filter((n) => n.startsWith(arg.replace(/\.ipynb$/, "")));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new SetupError(`"${arg}" names ${matches.length} notebooks: ${matches.join(", ")}; give a longer prefix`);
  throw new SetupError(`no notebook "${arg}"; choose one of: ${names.join(", ")}`);
}

function resolveNotebook(arg: string, root: string): string {
  for (const p of [arg, join(root, arg), join(root, "notebooks", arg), join(root, "notebooks", `${arg}.ipynb`)]) {
    try {
      if (Deno.statSync(p).isFile) return resolve(p);
    } catch { /* try the next form */ }
  }
  const all = allNotebooks(root);
  const name = notebookByPrefix(arg, all.map((p) => basename(p, ".ipynb")));
  return all.find((p) => basename(p, ".ipynb") === name)!;
}

async function main() {
  const paths = projectPaths();
  const { jobs, rest } = jobsArg(Deno.args);
  const args = rest.filter((a) => a !== "--no-extract");
  const notebooks = args.length ? args.map((a) => resolveNotebook(a, paths.root)) : allNotebooks(paths.root);
  const env = await ensureEnvironment();
  if (!args.length && !Deno.args.includes("--no-extract")) {
    console.error("Extracting the embedded default's features (cached after the first run) ...");
    const t0 = performance.now();
    const ok = (await new Deno.Command(Deno.execPath(), { args: ["run", "-A", join(paths.root, "scripts", "extract.ts")], cwd: paths.root }).spawn().status).success;
    if (!ok) throw new SetupError("feature extraction failed (see above); run `deno task extract` to resume it");
    await recordRun("features", { ok, seconds: +((performance.now() - t0) / 1000).toFixed(1), finished: new Date().toISOString() }, summaryPath(paths.outputs));
  }
  const summaryFile = summaryPath(paths.outputs);
  const before = await readSummary(summaryFile);
  await Deno.mkdir(paths.outputs, { recursive: true });
  await Deno.writeTextFile(join(paths.outputs, "summary.previous.json"), JSON.stringify(before, null, 2) + "\n");

  const outDir = join(paths.outputs, "reports");
  const groups = workGroups(notebooks.map((nb) => basename(nb, ".ipynb")));
  const cores = navigator.hardwareConcurrency, threadSetting = Deno.env.get("SHARELOCK_ORT_THREADS");
  const sharing = threadSetting ? `${threadSetting} onnxruntime thread(s) each` : `the ${cores} cores shared among the notebooks running`;
  const inOrder = groups.filter((g) => g.length > 1).map((g) => g.join(" -> ")).join("; ");
  const side = jobs > 1 && groups.length > 1 ? `, up to ${Math.min(jobs, groups.length)} side by side (${inOrder ? `in order: ${inOrder}; ` : ""}the longest chain of work first), ${sharing}` : "";
  console.error(`Running ${notebooks.length} notebook(s)${side}; reports go to ${outDir}`);
  const byName = new Map<string, NotebookResult>();
  const running = new Map<string, { abort: AbortController; run?: Promise<unknown>; failed: (error: string) => Promise<unknown> }>();
  let stopping = false;
  const stop = (signal: Deno.Signal) => async () => { // every running kernel is shut down before its figures are put back
    if (stopping) return;
    stopping = true;
    for (const r of running.values()) r.abort.abort();
    await Promise.all([...running.values()].map(async (r) => {
      await r.run?.catch(() => {});
      await r.failed(`stopped by ${signal}`);
    }));
    Deno.exit(130);
  };
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => [s, stop(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  const runOne = async (nb: string, threads: string | undefined) => {
    const name = basename(nb, ".ipynb"), t0 = performance.now(), abort = new AbortController();
    // a run that does not finish (the runner fails, Ctrl-C, SIGTERM, its terminal closing) leaves the last successful figures
    const failed = (error: string) =>
      recordNotebookRun(name, before.notebooks[name], { ok: false, seconds: +((performance.now() - t0) / 1000).toFixed(1), finished: new Date().toISOString(), error }, summaryFile);
    const entry: { abort: AbortController; run?: Promise<NotebookResult[]>; failed: typeof failed } = { abort, failed };
    running.set(name, entry);
    await clearFigures(name, summaryFile);
    entry.run = runNotebooks([nb], { outDir, ...env, env: threads ? { SHARELOCK_ORT_THREADS: threads } : undefined, signal: abort.signal });
    let r;
    try {
      [r] = await entry.run;
    } catch (err) {
      if (abort.signal.aborted) await new Promise(() => {}); // the signal handler finishes and exits
      await failed((err as Error).message);
      throw err;
    } finally {
      running.delete(name);
    }
    await recordNotebookRun(name, before.notebooks[name], {
      ok: r.ok,
      seconds: r.seconds,
      finished: new Date().toISOString(),
      failedCell: r.failed_cell,
      error: r.error,
    }, summaryFile);
    byName.set(name, r);
  };
  const pathOf = new Map(notebooks.map((nb) => [basename(nb, ".ipynb"), nb]));
  try {
    // a group whose runner breaks stops; the others finish first, then the error is reported
    const cost = (name: string) => before.notebooks[name]?.run?.seconds ?? 1;
    await runGroups(groups, jobs, cost, cores, threadSetting, (name, threads) => runOne(pathOf.get(name)!, threads));
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  }
  const results = notebooks.map((nb) => byName.get(basename(nb, ".ipynb"))!);
  const after = await readSummary(summaryFile);

  console.log("\nnotebook                             status   seconds  report");
  for (const r of results) {
    console.log(`${r.notebook.padEnd(36)} ${(r.ok ? "ok" : "FAILED").padEnd(8)} ${r.seconds.toFixed(1).padStart(7)}  ${r.html ?? r.ipynb}`);
    if (!r.ok) {
      console.log(`    cell ${r.failed_cell ?? "?"}: ${r.error}`);
      const kept = after.notebooks[r.notebook];
      console.log(`    key figures in the summary: ${Object.keys(kept?.figures ?? {}).length ? `kept from the last successful run${kept?.figuresFrom ? ` (${kept.figuresFrom})` : ""}` : "none (no successful run yet)"}`);
    }
    for (const p of await notebookBundleProblems(r.ipynb).catch(() => [])) {
      console.log(`    cell ${p.cell}: an output not every front end renders (VS Code, Jupyter): ${p.problem}`);
    }
  }
  const changes = diffSummaries(before, after, 1e-9);
  if (changes.length) {
    console.log("\nKey figures that changed since the last run:");
    for (const c of changes) {
      const d = c.delta !== undefined ? ` (${c.delta >= 0 ? "+" : ""}${c.delta.toPrecision(3)})` : "";
      console.log(`  ${c.notebook} / ${c.figure}: ${c.before ?? "-"} -> ${c.after ?? "-"}${d}`);
    }
  } else console.log("\nNo key figure changed since the last run.");
  const failed = results.filter((r) => !r.ok);
  // the executed notebooks replace the committed ones only after a run of every notebook that all passed,
  // checked before anything is published (a refusal stops here, results untouched)
  if (!args.length && !failed.length) {
    const written = await publishNotebooks(paths.root, outDir);
    console.log(`${written.length} executed notebooks (outputs kept, volatile metadata stripped) written to notebooks/`);
  } else if (!args.length) console.log("Executed notebooks not published: a notebook failed.");
  // results/ and the README's table come from a run of every notebook; `deno task report` leaves them
  if (!args.length) console.log(`\nResults (README.md, docs/results.md, results/summary.json):\n${await publishResults(paths.root, summaryFile)}`);
  console.log(`\n${results.length - failed.length} notebook(s) ok, ${failed.length} failed; summary: ${summaryFile}`);
  if (failed.length) Deno.exit(1);
}

if (import.meta.main) {
  const named = Deno.args.filter((a, i, all) => a !== "--no-extract" && !a.startsWith("--jobs") && all[i - 1] !== "--jobs");
  checkEnvOrExit(named.length ? "report" : "reproduce");
  try {
    await main();
  } catch (err) {
    if (err instanceof SetupError) {
      console.error(`\nStopped: ${err.message}`);
      Deno.exit(1);
    }
    throw err;
  }
}
