import assert from "node:assert/strict";
import { seededRandom } from "../lib/runtime/random.ts";
import { dropoutMask } from "../lib/train/projection.ts";

Deno.test("dropoutMask: a unit is kept (scaled by 1 / keep) exactly when its draw is under keep", () => {
  const draws = seededRandom("mask"), mask = dropoutMask(seededRandom("mask"), 5000, 0.2);
  for (let i = 0; i < mask.length; i++) assert.equal(mask[i], draws.next() < 0.8 ? Math.fround(1 / 0.8) : 0, `unit ${i}`);
  const kept = mask.filter((x) => x > 0).length / mask.length;
  assert.ok(Math.abs(kept - 0.8) < 0.02, `kept ${kept}`);
});
