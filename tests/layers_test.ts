/**
 * The lib's structure: no module imports a later stage of the pipeline, and no module is over 300 lines.
 * Stages, first to last: core (types, hashing; also runtime/atomic.ts, atomic file writes, which imports
 * nothing from lib), onnx (protobuf), onnx/convert (the TF.js -> ONNX converter), runtime, data, images
 * (decoding and preprocessing), encoders, store, features.ts, report, train, eval, baselines, stats,
 * config.ts, experiments, rehearsal (the paper-scale rehearsal world), demo, mod.ts. A module's stage is
 * the longest stage path its own path starts with (lib/onnx/convert/x.ts is in onnx/convert, not onnx).
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

const LIB = normalize(join(new URL(".", import.meta.url).pathname, "..", "lib"));
const STAGES = ["core", "onnx", "onnx/convert", "runtime", "data", "images", "encoders", "store", "features.ts", "report", "train", "eval", "baselines", "stats", "config.ts", "experiments", "rehearsal", "demo", "mod.ts"];

function modules(dir = LIB): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) => e.isDirectory ? modules(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

/** Files that sit lower than their folder. */
const GROUND_FLOOR = new Set(["runtime/atomic.ts"]);

/** The stage of a lib file: the longest stage path that is the file or a folder above it. */
const stageOf = (path: string) => {
  const rel = relative(LIB, path);
  if (GROUND_FLOOR.has(rel)) return 0;
  const matches = STAGES.filter((s) => rel === s || rel.startsWith(`${s}/`));
  if (!matches.length) throw new Error(`lib/${rel}: not in a known stage (${STAGES.join(", ")})`);
  return STAGES.indexOf(matches.reduce((a, b) => (b.length > a.length ? b : a)));
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
