import assert from "node:assert/strict";
import { jobsArg, notebookChains, runChains } from "../scripts/reproduce.ts";
import type { Summary } from "../lib/report/summary.ts";

const NAMES = ["00_setup", "01_zero_shot_probing", "02_language", "03_sharelock", "04_multi", "05_comp", "06_choice", "07_ablations", "08_leaderboard"];
const ran = (seconds: Record<string, number>): Summary => ({
  updated: "",
  notebooks: Object.fromEntries(Object.entries(seconds).map(([n, s]) => [n, { figures: {}, run: { ok: true, seconds: s, finished: "" } }])),
});

Deno.test("one job runs every notebook in name order", () => {
  assert.deepEqual(notebookChains([...NAMES].reverse(), 1, ran({})), [NAMES]);
});

Deno.test("two jobs keep notebooks that share cached work in one chain and spread the chains by their last times", () => {
  const last = ran({ "01_zero_shot_probing": 1600, "02_language": 1700, "08_leaderboard": 100, "03_sharelock": 540, "04_multi": 200, "07_ablations": 480, "00_setup": 4 });
  const chains = notebookChains(NAMES, 2, last);
  assert.deepEqual(chains, [
    ["01_zero_shot_probing", "02_language", "08_leaderboard"],
    ["00_setup", "03_sharelock", "04_multi", "05_comp", "06_choice", "07_ablations"],
  ]);
  assert.deepEqual(chains.flat().sort(), NAMES, "every notebook once");
  // when the caption chain is the longer one (5 runs per model), 00 joins the probing chain
  const five = ran({ "01_zero_shot_probing": 1600, "02_language": 1700, "03_sharelock": 9000, "07_ablations": 700 });
  assert.deepEqual(notebookChains(NAMES, 2, five)[1], ["00_setup", "01_zero_shot_probing", "02_language", "08_leaderboard"]);
});

Deno.test("more jobs than chains leave no empty chain; a subset of notebooks keeps its groups", () => {
  const chains = notebookChains(["04_multi", "03_sharelock", "01_zero_shot_probing"], 8, ran({}));
  assert.equal(chains.length, 2);
  assert.ok(chains.some((c) => c.join() === "03_sharelock,04_multi"));
});

Deno.test("--jobs is read in both forms and a bad value stops the command", () => {
  assert.deepEqual(jobsArg(["--no-extract", "--jobs", "2"]), { jobs: 2, rest: ["--no-extract"] });
  assert.deepEqual(jobsArg(["--jobs=3", "03"]), { jobs: 3, rest: ["03"] });
  assert.deepEqual(jobsArg(["01"]), { jobs: 1, rest: ["01"] });
  assert.throws(() => jobsArg(["--jobs", "0"]), /--jobs wants a whole number/);
  assert.throws(() => jobsArg(["--jobs"]), /--jobs wants a whole number/);
  assert.throws(() => jobsArg(["--jobs=two"]), /got "two"/);
});

Deno.test("chains side by side share the cores; a notebook that starts after a chain ended gets its cores too", async () => {
  const threads: Record<string, string | undefined> = {}, order: string[] = [];
  let shortDone!: () => void;
  const shortEnded = new Promise<void>((r) => (shortDone = r));
  await runChains([["01_a", "02_b"], ["03_c"]], 4, undefined, async (name, t) => {
    threads[name] = t;
    if (name === "01_a") await shortEnded; // 01 is still running when 03's chain ends
    if (name === "03_c") setTimeout(shortDone, 0);
    order.push(name);
  });
  assert.deepEqual(threads, { "01_a": "2", "03_c": "2", "02_b": "4" });
  assert.deepEqual(order, ["03_c", "01_a", "02_b"]);
});

Deno.test("chains: SHARELOCK_ORT_THREADS fixes every notebook's threads; a failing chain stops, the others finish, then its error is thrown", async () => {
  const ran: string[] = [];
  await assert.rejects(
    runChains([["01_a", "02_b"], ["03_c", "04_d"]], 2, "3", async (name, t) => {
      assert.equal(t, "3");
      await new Promise((r) => setTimeout(r, name === "03_c" ? 5 : 0));
      if (name === "01_a") throw new Error("01_a failed");
      ran.push(name);
    }),
    /01_a failed/,
  );
  assert.deepEqual(ran, ["03_c", "04_d"]);
});

Deno.test("chains: one chain leaves the threads to the environment (undefined), with or without a setting", async () => {
  const seen: (string | undefined)[] = [];
  await runChains([["01_a", "02_b"]], 4, undefined, async (_, t) => void seen.push(t));
  await runChains([["01_a"]], 4, "3", async (_, t) => void seen.push(t));
  assert.deepEqual(seen, [undefined, undefined, undefined]);
});
