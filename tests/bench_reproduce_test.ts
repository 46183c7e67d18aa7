import assert from "node:assert/strict";
import { join } from "node:path";
import { benchCache } from "../scripts/bench_reproduce.ts";

Deno.test("the bench cache links features, downloads and models, and none of the trained results", async () => {
  const cache = await Deno.makeTempDir(), bench = join(await Deno.makeTempDir(), "bench");
  for (const d of ["features", "models", "results", "ladder"]) await Deno.mkdir(join(cache, d));
  await Deno.writeTextFile(join(cache, "train_rates.json"), "{}");
  await Deno.writeTextFile(join(cache, "features", "f.bin"), "x");
  await Deno.mkdir(bench, { recursive: true });
  await Deno.writeTextFile(join(bench, "stale"), "left from an earlier bench");
  await benchCache(cache, bench);
  const names = [...Deno.readDirSync(bench)].map((e) => e.name).sort();
  assert.deepEqual(names, ["features", "ladder", "models"]);
  assert.equal(await Deno.readTextFile(join(bench, "features", "f.bin")), "x", "a link to the real folder");
  assert.ok((await Deno.lstat(join(bench, "features"))).isSymlink);
});
