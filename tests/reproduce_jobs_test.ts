import assert from "node:assert/strict";
import { jobsArg, runGroups, workGroups } from "../scripts/reproduce.ts";

const NAMES = ["00_setup", "01_zero_shot_probing", "02_language", "03_sharelock", "04_multi", "05_comp", "06_choice", "07_ablations", "08_leaderboard"];
Deno.test("notebooks that share cached work form one group, in name order; the others are groups of their own", () => {
  assert.deepEqual(workGroups([...NAMES].reverse()), [
    ["00_setup"],
    ["01_zero_shot_probing", "02_language", "08_leaderboard"],
    ["03_sharelock", "04_multi", "05_comp", "06_choice"],
    ["07_ablations"],
  ]);
  assert.deepEqual(workGroups(["04_multi", "03_sharelock", "01_zero_shot_probing"]), [["01_zero_shot_probing"], ["03_sharelock", "04_multi"]]);
});

/**
 * Run `runGroups` on a simulated clock: each notebook takes `minutes[name]`; the clock moves to the next
 * finish once every running notebook waits on it (after the freed slot has started its next one).
 * Returns each notebook's start, the slots and the wall time in minutes.
 */
async function simulate(groups: string[][], jobs: number, minutes: Record<string, number>, cost: (n: string) => number) {
  const start: Record<string, number> = {}, waiting: { at: number; done: () => void }[] = [];
  let now = 0, active = 0;
  const tick = () => {
    if (!waiting.length || waiting.length < active) return;
    waiting.sort((a, b) => a.at - b.at);
    const first = waiting.shift()!;
    now = first.at;
    first.done();
  };
  const slots = await runGroups(groups, jobs, cost, 2, undefined, async (name) => {
    start[name] = now;
    active++;
    await new Promise<void>((done) => {
      waiting.push({ at: now + minutes[name], done });
      setTimeout(tick, 0);
    });
    active--;
    setTimeout(tick, 0);
  });
  return { start, slots, wall: now };
}

Deno.test("two slots: the longest chain of work starts first, a free slot takes what is left, never later than fixed chains", async () => {
  const groups = workGroups(NAMES);
  // minutes per notebook from an empty training cache, one thread each, at 5 runs per caption model and at 2
  const five = { "00_setup": 0, "01_zero_shot_probing": 27, "02_language": 19, "03_sharelock": 69, "04_multi": 11, "05_comp": 2, "06_choice": 2, "07_ablations": 28, "08_leaderboard": 1 };
  const two = { "00_setup": 0, "01_zero_shot_probing": 25, "02_language": 17, "03_sharelock": 11, "04_multi": 5, "05_comp": 1, "06_choice": 1, "07_ablations": 12, "08_leaderboard": 1 };
  const sum = (m: Record<string, number>, names: string[]) => names.reduce((a, n) => a + m[n], 0);
  for (const [minutes, known] of [[five, true], [five, false], [two, true], [two, false]] as const) {
    const m: Record<string, number> = minutes, sim = await simulate(groups, 2, m, (n) => (known ? m[n] * 60 : 1));
    const label = `${minutes === five ? 5 : 2} runs, times ${known ? "known" : "unknown"}`;
    assert.deepEqual(sim.slots.flat().sort(), NAMES, `${label}: every notebook once`);
    for (const g of groups) for (let i = 1; i < g.length; i++) assert.ok(sim.start[g[i]] >= sim.start[g[i - 1]] + m[g[i - 1]], `${label}: ${g[i]} after ${g[i - 1]}`);
    // the fixed chains 07 used to sit in: 01 -> 02 -> 08 beside 00 -> 03 -> ... -> 07
    const fixed = Math.max(sum(m, ["01_zero_shot_probing", "02_language", "08_leaderboard"]), sum(m, ["00_setup", "03_sharelock", "04_multi", "05_comp", "06_choice", "07_ablations"]));
    assert.ok(sim.wall <= fixed, `${label}: ${sim.wall} min, fixed chains ${fixed}`);
    // at 5 runs 07 moves beside 03: the run ends with 03-06
    if (minutes === five) assert.equal(sim.wall, sum(m, ["03_sharelock", "04_multi", "05_comp", "06_choice"]), label);
  }
});

Deno.test("slots share the cores; a notebook that starts when fewer groups are left gets their cores too", async () => {
  const threads: Record<string, string | undefined> = {}, order: string[] = [];
  let shortDone!: () => void;
  const shortEnded = new Promise<void>((r) => (shortDone = r));
  const slots = await runGroups([["01_a", "02_b"], ["03_c"]], 2, () => 1, 4, undefined, async (name, t) => {
    threads[name] = t;
    if (name === "01_a") await shortEnded; // 01 is still running when 03's group ends
    if (name === "03_c") setTimeout(shortDone, 0);
    order.push(name);
  });
  assert.deepEqual(threads, { "01_a": "2", "03_c": "2", "02_b": "4" });
  assert.deepEqual(order, ["03_c", "01_a", "02_b"]);
  assert.deepEqual(slots, [["01_a", "02_b"], ["03_c"]]);
});

Deno.test("groups: SHARELOCK_ORT_THREADS fixes every notebook's threads; a failing group stops, the others finish, then its error is thrown", async () => {
  const ran: string[] = [];
  await assert.rejects(
    runGroups([["01_a", "02_b"], ["03_c", "04_d"]], 2, () => 1, 2, "3", async (name, t) => {
      assert.equal(t, "3");
      await new Promise((r) => setTimeout(r, name === "03_c" ? 5 : 0));
      if (name === "01_a") throw new Error("01_a failed");
      ran.push(name);
    }),
    /01_a failed/,
  );
  assert.deepEqual(ran, ["03_c", "04_d"]);
});

Deno.test("groups: one slot (one job or one group) runs every notebook in name order and leaves the threads to the environment (undefined)", async () => {
  const seen: (string | undefined)[] = [], order: string[] = [];
  await runGroups(workGroups([...NAMES].reverse()), 1, () => 1, 4, undefined, async (n, t) => void (seen.push(t), order.push(n)));
  assert.deepEqual(seen, NAMES.map(() => undefined));
  assert.deepEqual(order, NAMES, "one job: name order");
  const one: (string | undefined)[] = [];
  await runGroups([["01_a"]], 4, () => 1, 4, "3", async (_, t) => void one.push(t));
  assert.deepEqual(one, [undefined], "one group: nothing runs beside it");
});

Deno.test("--jobs is read in both forms and a bad value stops the command", () => {
  assert.deepEqual(jobsArg(["--no-extract", "--jobs", "2"]), { jobs: 2, rest: ["--no-extract"] });
  assert.deepEqual(jobsArg(["--jobs=3", "03"]), { jobs: 3, rest: ["03"] });
  assert.deepEqual(jobsArg(["01"]), { jobs: 1, rest: ["01"] });
  assert.throws(() => jobsArg(["--jobs", "0"]), /--jobs wants a whole number/);
  assert.throws(() => jobsArg(["--jobs"]), /--jobs wants a whole number/);
  assert.throws(() => jobsArg(["--jobs=two"]), /got "two"/);
});

