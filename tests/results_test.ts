/**
 * Published results: the README's results table and docs/results.md are generated from
 * results/summary.json, never typed, so a number edited by hand is caught here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { claimRows, parsePaired } from "../lib/report/claims.ts";
import { NO_RESULTS, publishedResults, readmeResultsBlock, RESULTS_BEGIN, RESULTS_END, resultsPage } from "../lib/report/published.ts";
import type { Summary } from "../lib/report/summary.ts";
import { figureOnePoints, figureOneSvg } from "../lib/report/figure_one.ts";
import { committedResults, paperTables, publishResults, resultFiles, resultsDrift } from "../scripts/results.ts";
import { REPO_ROOT } from "../lib/runtime/paths.ts";

const FIXTURE = join(REPO_ROOT, "tests", "fixtures", "results_summary.json");
const fixture = (): Summary => JSON.parse(Deno.readTextFileSync(FIXTURE));
const block = (text: string) => text.slice(text.indexOf(RESULTS_BEGIN), text.indexOf(RESULTS_END));

/** A scratch repository root with this README, docs/ and data/paper/ (no results/ yet). */
async function scratchRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "results-test-" });
  await Deno.mkdir(join(root, "docs"));
  await Deno.mkdir(join(root, "data", "paper"), { recursive: true });
  await Deno.copyFile(join(REPO_ROOT, "README.md"), join(root, "README.md"));
  for (const e of Deno.readDirSync(join(REPO_ROOT, "data", "paper"))) {
    await Deno.copyFile(join(REPO_ROOT, "data", "paper", e.name), join(root, "data", "paper", e.name));
  }
  return root;
}

Deno.test("the committed README block and docs/results.md are what the committed results/summary.json generates", async () => {
  assert.deepEqual(await resultsDrift(REPO_ROOT), []);
});

Deno.test("without a committed results/summary.json the README block and docs/results.md say there are no results yet", async () => {
  if (await committedResults(REPO_ROOT) !== null) return; // results are committed: the test above covers them
  const readme = await Deno.readTextFile(resultFiles(REPO_ROOT).readme);
  assert.ok(block(readme).includes(NO_RESULTS), "README block lacks the no-results line");
  assert.ok((await Deno.readTextFile(resultFiles(REPO_ROOT).page)).includes(NO_RESULTS));
  assert.ok(!block(readme).includes("| ahead |"), "a verdict shows without results");
});

Deno.test("a number edited by hand in the README block or in docs/results.md is caught", async () => {
  const root = await scratchRoot();
  try {
    const files = resultFiles(root);
    const shown = await publishResults(root, FIXTURE, new Map([["SHARELOCK_SEEDS", "5"], ["SHARELOCK_ORT_THREADS", "1"]]));
    assert.deepEqual(await resultsDrift(root), []);
    const readme = await Deno.readTextFile(files.readme);
    assert.ok(block(readme).includes(shown), "the printed block is the README's");
    assert.ok(block(readme).includes("+0.38 [0.19, 0.56] points"));
    await Deno.writeTextFile(files.readme, readme.replace("+0.38 [0.19, 0.56] points", "+0.48 [0.19, 0.56] points"));
    assert.deepEqual(await resultsDrift(root), ["README.md"]);
    await Deno.writeTextFile(files.readme, readme);
    const page = await Deno.readTextFile(files.page);
    assert.ok(page.includes("| 2.28 |"));
    await Deno.writeTextFile(files.page, page.replace("| 2.28 |", "| 2.38 |"));
    assert.deepEqual(await resultsDrift(root), ["docs/results.md"]);
    await Deno.writeTextFile(files.page, page);
    const svg = await Deno.readTextFile(files.figure);
    assert.ok(svg.includes("use-lite"), "the figure shows notebook 02's encoders");
    await Deno.writeTextFile(files.figure, svg.replace(/cy="[\d.]+"/, 'cy="1"'));
    assert.deepEqual(await resultsDrift(root), ["docs/figure1.svg"]);
    await Deno.writeTextFile(files.figure, svg);
    // text outside the markers is the author's: editing it is no drift
    await Deno.writeTextFile(files.readme, readme.replace("# sharelock-notebooks", "# sharelock-notebooks (edited)"));
    assert.deepEqual(await resultsDrift(root), []);
    const saved = JSON.parse(await Deno.readTextFile(files.summary));
    assert.deepEqual(saved.settings, { SHARELOCK_SEEDS: "5", SHARELOCK_ORT_THREADS: "1" });
    assert.ok(block(readme).includes("with SHARELOCK_SEEDS=5 (the caption notebooks 03-07 train 5 runs per model and method; the default is 5), SHARELOCK_ORT_THREADS=1 (1 onnxruntime thread per session)"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a run summary with no key figures leaves the committed results as they are", async () => {
  const root = await scratchRoot();
  try {
    await publishResults(root, FIXTURE);
    const before = await Deno.readTextFile(resultFiles(root).summary);
    const empty = join(root, "empty.json");
    await Deno.writeTextFile(empty, JSON.stringify({ updated: "2026-12-02T00:00:00Z", notebooks: { "00_setup": { figures: {} } } }));
    await publishResults(root, empty);
    assert.equal(await Deno.readTextFile(resultFiles(root).summary), before);
    assert.deepEqual(await resultsDrift(root), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("results/summary.json keeps each notebook's figures, sorted, and how its last run went", () => {
  const s = fixture();
  const r = publishedResults(s, { commit: "abc1234", settings: {} });
  assert.deepEqual(Object.keys(r.notebooks), Object.keys(s.notebooks).filter((k) => Object.keys(s.notebooks[k].figures).length).sort());
  assert.ok(!("features" in r.notebooks), "a stage with no figures is left out");
  for (const [name, nb] of Object.entries(r.notebooks)) {
    assert.deepEqual(nb.figures, s.notebooks[name].figures);
    assert.deepEqual(Object.keys(nb.figures), Object.keys(nb.figures).sort());
  }
  assert.equal(r.notebooks["08_leaderboard"].ok, false);
  assert.equal(r.notebooks["08_leaderboard"].figuresFrom, "2026-12-01T09:00:00.000Z");
  assert.equal(r.commit, "abc1234");
  assert.ok(resultsPage(r).includes("FAILED (figures from the last successful run)"));
});

Deno.test("claim rows: this project's numbers come from the figures, the paper's from data/paper", () => {
  const r = publishedResults(fixture(), { commit: "c", settings: {} });
  const figures = Object.fromEntries(Object.entries(r.notebooks).map(([k, v]) => [k, v.figures]));
  const rows = claimRows(figures, paperTables(REPO_ROOT));
  // the paper's smallest-data gap, read from the CSV independently
  const csv = Deno.readTextFileSync(join(REPO_ROOT, "data", "paper", "data_scaling_digitized.csv")).trim().split("\n").slice(1).map((l) => l.split(","));
  const at84k = (m: string) => Number(csv.find((c) => c[0] === m && c[1] === "84000")![2]);
  const small = rows.find((x) => x.claim.includes("little data"))!;
  assert.equal(small.paper, `+${(at84k("ShareLock") - at84k("LiT")).toFixed(1)} points at 84k pairs`);
  assert.equal(small.ours, "+0.38 [0.19, 0.56] points");
  assert.equal(small.verdict, "ahead");
  const corr = rows.find((x) => x.where === "Figure 1")!;
  assert.equal(corr.ours, "r = 0.58 [0.16, 0.86] over 12 models");
  assert.equal(corr.verdict, "above zero");
  const it = rows.find((x) => x.where === "Table 3")!;
  assert.equal(it.ours, "-2.30 [-2.80, -1.80] points");
  assert.equal(it.verdict, "behind");
  assert.equal(rows.find((x) => x.where === "Figure 3")!.verdict, "first");
  for (const row of rows) assert.ok(row.verdict !== "-", `${row.claim}: no figure found in the fixture`);
});

Deno.test("claim rows say which notebooks did not run and which figures were not recorded", () => {
  const rows = claimRows({ "01_zero_shot_probing": { chance_pct: 0.26 } }, () => []);
  assert.equal(rows[0].ours, "not recorded");
  assert.ok(rows.slice(1).every((r) => r.ours === "not run" && r.verdict === "-"));
  assert.ok(rows.every((r) => r.paper !== ""));
  const none = readmeResultsBlock(null, () => []);
  assert.ok(none.startsWith(NO_RESULTS));
});

Deno.test("parsePaired reads the notebooks' comparison text and nothing else", () => {
  assert.deepEqual(parsePaired("-0.68 [-1.17, -0.19] behind"), { mean: -0.68, lo: -1.17, hi: -0.19, verdict: "behind" });
  assert.deepEqual(parsePaired("0.10 [-0.20, 0.30] within noise"), { mean: 0.1, lo: -0.2, hi: 0.3, verdict: "within noise" });
  assert.equal(parsePaired("2.9"), null);
  assert.equal(parsePaired(2.9), null);
});

Deno.test("figure 1: each source's axes are z-scores, controls are marked, and no results show the paper alone", () => {
  const paper = [[2.3, 35.3], [7.6, 37.0], [16.5, 37.8], [24.3, 39.1]].map(([m, v]) => ({ mmlu_pro: m, visual_generalization: v }));
  const figures = { "use-lite/capability_pct": 56.4, "use-lite/visual_pct": 2.28, "word2vec-100d/capability_pct": 42.2, "word2vec-100d/visual_pct": 1.67,
    "random-text/capability_pct": 20.3, "random-text/visual_pct": 0.35, "lonely/capability_pct": 30 };
  const points = figureOnePoints(figures, paper);
  for (const source of ["paper", "this project"] as const) {
    const of = points.filter((p) => p.source === source);
    for (const axis of ["capability", "visual"] as const) {
      const xs = of.map((p) => p[axis]), mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
      assert.ok(Math.abs(mean) < 1e-3 && Math.abs(sd - 1) < 1e-3, `${source} ${axis}: mean ${mean}, sd ${sd}`);
    }
  }
  assert.deepEqual(points.filter((p) => p.source === "this project").map((p) => [p.label, p.control]), [["random-text", true], ["use-lite", false], ["word2vec-100d", false]]);
  // z-scores by hand for the paper's first point: (2.3 - 12.675) / sd
  const m = [2.3, 7.6, 16.5, 24.3], mean = m.reduce((a, b) => a + b) / 4, sd = Math.sqrt(m.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
  assert.equal(points[0].capability, +((2.3 - mean) / sd).toFixed(4));
  const empty = figureOneSvg(figureOnePoints({}, paper));
  assert.ok(empty.startsWith("<svg") && empty.includes("no results yet"));
  assert.equal(figureOneSvg(points), figureOneSvg(points), "the same points give the same bytes");
});

Deno.test("the results block says how long each notebook of the committed run took, from its recorded seconds", async () => {
  const { runTimes } = await import("../lib/report/published.ts");
  const nb = (seconds: number | null) => ({ ok: true, figuresFrom: null, seconds, figures: { x: 1 } });
  const r = { updated: "", commit: "c", settings: {}, cores: 2, notebooks: { "00_setup": nb(4.2), "01_zero_shot_probing": nb(1500), "02_x": nb(null) } };
  assert.equal(runTimes(r), "Time of that run on 2 CPU cores: 00 4 s, 01 25 min; all notebooks 25 min (features extracted before; models trained in an earlier run are read from the cache, as each notebook says).");
  assert.equal(runTimes({ ...r, notebooks: { "02_x": nb(null) } }), "");
});

Deno.test("a comparison's key figure (pairedFigure) reads back with parsePaired", async () => {
  const { pairedFigure } = await import("../lib/experiments/findings.ts");
  const text = pairedFigure({ mean: -1.234, ci: [-2.5, 0.04], verdict: "within noise" });
  assert.equal(text, "-1.23 [-2.50, 0.04] within noise");
  assert.deepEqual(parsePaired(text), { mean: -1.23, lo: -2.5, hi: 0.04, verdict: "within noise" });
});
