/**
 * The lib's structure: no module imports a later stage of the pipeline, and no module is over 300 lines.
 * Stages, first to last: core (types, hashing; also runtime/atomic.ts, atomic file writes, which imports
 * nothing from lib), onnx (protobuf), runtime, data, encoders, store, features.ts, report, train, eval,
 * baselines, stats, config.ts, experiments, rehearsal (the paper-scale rehearsal world), demo, mod.ts.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

const LIB = normalize(join(new URL(".", import.meta.url).pathname, "..", "lib"));
const STAGES = ["core", "onnx", "runtime", "data", "encoders", "store", "features.ts", "report", "train", "eval", "baselines", "stats", "config.ts", "experiments", "rehearsal", "demo", "mod.ts"];

function modules(dir = LIB): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) => e.isDirectory ? modules(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

/** Files that sit lower than their folder. */
const GROUND_FLOOR = new Set(["runtime/atomic.ts"]);

const stageOf = (path: string) => {
  if (GROUND_FLOOR.has(relative(LIB, path))) return 0;
  const top = relative(LIB, path).split("/")[0];
  const i = STAGES.indexOf(top);
  if (i < 0) throw new Error(`lib/${relative(LIB, path)}: not in a known stage (${STAGES.join(", ")})`);
  return i;
};

Deno.test("no lib module imports a later stage of the pipeline", () => {
  const upward: string[] = [];
  for (const file of modules()) {
    for (const m of Deno.readTextFileSync(file).matchAll(/^(?:import|export)\b[^;]*?\bfrom "(\.[^"]+)";/gms)) {
      const target = normalize(join(dirname(file), m[1]));
      if (stageOf(target) > stageOf(file)) upward.push(`lib/${relative(LIB, file)} -> lib/${relative(LIB, target)}`);
    }
  }
  assert.deepEqual(upward, []);
});

/** Known exceptions, each with the issue that will split it. */
const OVER_300_PENDING = new Set<string>([]);

Deno.test("no lib module is over 300 lines", () => {
  const long = modules().map((f) => [relative(LIB, f), Deno.readTextFileSync(f).split("\n").length - 1] as const)
    .filter(([f, n]) => n > 300 && !OVER_300_PENDING.has(f));
  assert.deepEqual(long, []);
});
