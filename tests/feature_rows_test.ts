import assert from "node:assert/strict";
import { featureRows } from "../lib/eval/methods.ts";

Deno.test("featureRows: texts embedded once are read back in the order asked, repeats included; an unknown text or a row count mismatch is named", async () => {
  const texts = ["a cat.", "a dog.", "a cat.", "a fox."];
  const features = { rows: 4, dim: 2, data: Float32Array.of(1, 2, 3, 4, 1, 2, 5, 6) };
  const rows = featureRows(texts, features);
  const m = await rows(["a fox.", "a cat.", "a fox.", "a dog."]);
  assert.deepEqual([m.rows, m.dim], [4, 2]);
  assert.deepEqual(Array.from(m.data), [5, 6, 1, 2, 5, 6, 3, 4]);
  assert.throws(() => rows(["a cow."]), /no features for the text "a cow\."/);
  assert.throws(() => featureRows(texts, { rows: 3, dim: 2, data: new Float32Array(6) }), /4 texts but 3 feature rows/);
});
