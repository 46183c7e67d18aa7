/**
 * Publish the results of a reproduce: `outputs/summary.json` -> `results/summary.json` (committed), the
 * README's results table (between `<!-- results:begin -->` and `<!-- results:end -->`), `docs/results.md`
 * and `docs/figure1.svg` (this project's Figure 1). `deno task reproduce` calls {@link publishResults} at its end.
 *
 *   deno run -A scripts/results.ts            # publish from outputs/summary.json
 *   deno run -A scripts/results.ts --from <summary.json> --commit <hash>   # a run made in another checkout
 *   deno run -A scripts/results.ts --check    # exit 1, naming the files, when README.md, docs/results.md or
 *                                             # docs/figure1.svg differ from what results/summary.json generates
 *
 * @example
 * ```ts
 * const drift = await resultsDrift(".");   // [] when README.md, docs/results.md and docs/figure1.svg are as generated
 * ```
 */
import { join } from "node:path";
import pl from "nodejs-polars";
import { readSummary, summaryPath } from "../lib/report/summary.ts";
import { type PaperTables } from "../lib/report/claims.ts";
import { figureOnePoints, figureOneSvg } from "../lib/report/figure_one.ts";
import { publishedResults, type PublishedResults, readmeResultsBlock, RECORDED_SETTINGS, resultsPage, withResultsBlock } from "../lib/report/published.ts";
import { readJsonOr, writeFileAtomic, writeJsonAtomic } from "../lib/runtime/atomic.ts";
import { projectPaths, REPO_ROOT } from "../lib/runtime/paths.ts";

/** Where the published files live under a repository root. */
export function resultFiles(root: string) {
  return {
    summary: join(root, "results", "summary.json"),
    readme: join(root, "README.md"),
    page: join(root, "docs", "results.md"),
    figure: join(root, "docs", "figure1.svg"),
  };
}

/** The paper's tables of `<root>/data/paper/` as records; a table that is missing gives no rows. */
export function paperTables(root: string): PaperTables {
  const memo = new Map<string, Record<string, unknown>[]>();
  return (name) => {
    if (!memo.has(name)) {
      let rows: Record<string, unknown>[] = [];
      try {
        rows = pl.readCSV(Deno.readTextFileSync(join(root, "data", "paper", `${name}.csv`))).toRecords() as Record<string, unknown>[];
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw new Error(`data/paper/${name}.csv: ${(err as Error).message}`);
      }
      memo.set(name, rows);
    }
    return memo.get(name)!;
  };
}

/** What README.md, docs/results.md and docs/figure1.svg should hold, given `results` (null: none committed). */
export async function generatedFiles(root: string, results: PublishedResults | null): Promise<{ readme: string; page: string; figure: string }> {
  const files = resultFiles(root), tables = paperTables(root);
  const readme = withResultsBlock(await Deno.readTextFile(files.readme), readmeResultsBlock(results, tables), files.readme);
  const figures02 = results?.notebooks["02_language_capability_vs_vision"]?.figures ?? {};
  return { readme, page: resultsPage(results), figure: figureOneSvg(figureOnePoints(figures02, tables("mmlu_pro_vs_visual_digitized"))) + "\n" };
}

/** The committed `results/summary.json`, or null when there is none. */
export function committedResults(root: string): Promise<PublishedResults | null> {
  return readJsonOr<PublishedResults | null>(resultFiles(root).summary, null);
}

/** Files (README.md, docs/results.md, docs/figure1.svg) that differ from what the committed results generate. */
export async function resultsDrift(root: string): Promise<string[]> {
  const files = resultFiles(root), want = await generatedFiles(root, await committedResults(root));
  const has = async (p: string) => await Deno.readTextFile(p).catch(() => null);
  const drift: string[] = [];
  if (await has(files.readme) !== want.readme) drift.push("README.md");
  if (await has(files.page) !== want.page) drift.push("docs/results.md");
  if (await has(files.figure) !== want.figure) drift.push("docs/figure1.svg");
  return drift;
}

function gitCommit(root: string): string {
  try {
    const out = new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"], cwd: root, stdout: "piped", stderr: "null" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Write `results/summary.json` from the run summary at `summaryFile` (when it holds any key figure) and
 * regenerate the README block, docs/results.md and docs/figure1.svg from it. Returns the README block.
 */
export async function publishResults(
  root: string,
  summaryFile: string,
  env: { get(key: string): string | undefined } = Deno.env,
  commit = gitCommit(root),
): Promise<string> {
  const files = resultFiles(root);
  const settings = Object.fromEntries(Object.keys(RECORDED_SETTINGS).flatMap((k) => (env.get(k) ? [[k, env.get(k)!]] : [])));
  const fresh = publishedResults(await readSummary(summaryFile), { commit, settings, cores: navigator.hardwareConcurrency });
  if (Object.keys(fresh.notebooks).length) await writeJsonAtomic(files.summary, fresh);
  const results = await committedResults(root);
  const want = await generatedFiles(root, results);
  await writeFileAtomic(files.readme, want.readme);
  await writeFileAtomic(files.page, want.page);
  await writeFileAtomic(files.figure, want.figure);
  return readmeResultsBlock(results, paperTables(root));
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const drift = await resultsDrift(REPO_ROOT);
    if (drift.length) {
      console.error(`${drift.join(", ")} differ from what results/summary.json generates: run \`deno run -A scripts/results.ts\``);
      Deno.exit(1);
    }
    console.log("README.md, docs/results.md and docs/figure1.svg are as results/summary.json generates them.");
  } else {
    const flag = (name: string) => (Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : undefined);
    const from = flag("--from") ?? summaryPath(projectPaths().outputs);
    console.log(await publishResults(REPO_ROOT, from, Deno.env, flag("--commit") ?? gitCommit(REPO_ROOT)));
  }
}
