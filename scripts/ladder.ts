/**
 * The controlled ladder of language models: trains (or reads from the cache) every rung of
 * `LADDER` (skip-gram on nested GCIDE slices x dimensions), scores each on the held-out WordNet
 * capability tasks, and prints a Markdown table (also written to `<outputs>/ladder.json`).
 *
 * Run: `deno task ladder` (options: `--n 1000` items per task, `--rungs a,b` to pick rungs).
 *
 * @example
 * ```ts
 * // deno task ladder -- --n 1000
 * ```
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { loadWordNet } from "../lib/data/wordnet.ts";
import { capabilityScore } from "../lib/experiments/language_tasks.ts";
import { LADDER, parseLadderName, skipGramTable } from "../lib/encoders/text/skipgram_ladder.ts";
import { languageEncoder } from "../lib/encoders/registry.ts";
import { writeJsonAtomic } from "../lib/runtime/atomic.ts";
import { projectPaths } from "../lib/runtime/paths.ts";
import { checkEnvOrExit } from "./check_env.ts";

checkEnvOrExit("ladder");

const { values } = parseArgs({ args: Deno.args, options: { n: { type: "string", default: "1000" }, rungs: { type: "string" } } });
const n = Number(values.n);
const rungs = values.rungs ? values.rungs.split(",") : [...LADDER];
const wn = await loadWordNet();
const pct = (x: number) => (100 * x).toFixed(1);
const rows = [];
console.log(`| rung | slice | dim | tokens | vocabulary | gloss % | hypernym % | capability % [95% interval] | train wall s | train CPU s |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|`);
for (const name of rungs) {
  const rung = parseLadderName(name);
  if (!rung) throw new Error(`"${name}" is not a ladder rung (${LADDER.join(", ")})`);
  const t = await skipGramTable(rung); // trains once; the encoder below reads the same cached table
  const s = await capabilityScore(await languageEncoder(name), wn, { n });
  const tr = t.training;
  rows.push({ name, ...rung, training: tr, capability: s });
  console.log(
    `| ${name} | ${rung.slice}% | ${rung.dim} | ${tr?.tokens ?? "?"} | ${t.table.words.length} | ${pct(s.gloss.accuracy)} | ${pct(s.hypernym.accuracy)} | ` +
      `${pct(s.accuracy)} [${pct(s.low)}, ${pct(s.high)}] | ${tr?.wallSeconds.toFixed(0) ?? "?"} | ${tr?.cpuSeconds.toFixed(0) ?? "?"} |`,
  );
}
const out = join(projectPaths().outputs, "ladder.json");
await writeJsonAtomic(out, { n, chance: 0.2, rows });
console.error(`wrote ${out}`);
