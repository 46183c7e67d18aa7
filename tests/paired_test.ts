import assert from "node:assert/strict";
import { describeComparison, fixedDigits, pairedComparison, verdictOf } from "../lib/stats/paired.ts";

Deno.test("pairedComparison: the mean difference with its t-interval, known values", () => {
  // differences 1, 2, 3: mean 2, sd 1, t(2) = 4.303, half-width 4.303 / sqrt(3) = 2.4844
  const c = pairedComparison({ r1: 11, r2: 12, r3: 13 }, { r1: 10, r2: 10, r3: 10 });
  assert.equal(c.mean, 2);
  assert.ok(Math.abs(c.ci[0] - (2 - 4.303 / Math.sqrt(3))) < 1e-9 && Math.abs(c.ci[1] - (2 + 4.303 / Math.sqrt(3))) < 1e-9);
  assert.equal(c.verdict, "within noise");
  assert.equal(c.wins, 1);
});

Deno.test("pairing decides what separate intervals cannot: a shared run effect cancels", () => {
  // run difficulty varies a lot (shared), the method gap is a steady +0.5
  const hard = [1, 5, 2, 8, 3, 7];
  const a = Object.fromEntries(hard.map((h, i) => [`run${i}`, h + 0.5 + (i % 2 ? 0.05 : -0.05)]));
  const b = Object.fromEntries(hard.map((h, i) => [`run${i}`, h]));
  const c = pairedComparison(a, b);
  assert.equal(c.verdict, "ahead");
  assert.equal(pairedComparison(b, a).verdict, "behind");
  assert.match(describeComparison("A", "B", c), /^A is ahead of B by 0\.50 points \[0\.4\d, 0\.5\d\] over 6 paired runs$/);
  assert.match(describeComparison("A", "B", pairedComparison({ x: 1, y: 2 }, { x: 2, y: 1 })), /^A is within noise of B \(difference 0\.00 points \[/);
  const behind = pairedComparison({ x: 1, y: 1.2, z: 0.9 }, { x: 2, y: 2.1, z: 2 });
  assert.equal(describeComparison("A", "B", behind), `A is behind B by 1.00 points (difference -1.00 [${behind.ci[0].toFixed(2)}, ${behind.ci[1].toFixed(2)}]) over 3 paired runs`);
});

Deno.test("pairedComparison rejects unpaired runs by name, and too few runs", () => {
  assert.throws(() => pairedComparison({ a: 1, b: 2 }, { a: 1, c: 2 }), /runs not in both: b, c/);
  assert.throws(() => pairedComparison({ a: 1 }, { a: 2 }), /at least 2 paired runs, got 1/);
  assert.equal(verdictOf([-1, 1]), "within noise");
});

Deno.test("equivalence margin: an interval inside ±margin is decided 'equivalent', one reaching past it stays 'within noise'", () => {
  // differences -0.1, 0.1, 0, 0.05, -0.05: mean 0, sd 0.0791, t(4) = 2.776, half-width 0.0982
  const a = { r1: 3.0, r2: 3.2, r3: 3.1, r4: 3.15, r5: 3.05 }, b = { r1: 3.1, r2: 3.1, r3: 3.1, r4: 3.1, r5: 3.1 };
  const tight = pairedComparison(a, b, 0.5);
  assert.equal(tight.verdict, "equivalent");
  assert.equal(tight.margin, 0.5);
  assert.ok(tight.ci[0] > -0.5 && tight.ci[1] < 0.5);
  // the same runs against a margin smaller than the interval's reach: not decided
  const narrow = pairedComparison(a, b, 0.05);
  assert.equal(narrow.verdict, "within noise");
  // without a margin nothing is "equivalent", and a margin never overrides a decided direction
  assert.equal(pairedComparison(a, b).verdict, "within noise");
  assert.equal(pairedComparison(a, b).margin, undefined);
  assert.equal(verdictOf([0.1, 0.3], 0.5), "ahead");
  assert.equal(verdictOf([-0.3, -0.1], 0.5), "behind");
  assert.equal(verdictOf([-0.5, 0.2], 0.5), "within noise"); // touching the margin is not inside it
  assert.throws(() => verdictOf([-1, 1], 0), /margin must be > 0, got 0/);
  assert.throws(() => verdictOf([-1, 1], -1), /margin must be > 0/);
  assert.equal(describeComparison("A", "B", tight), `A is equivalent to B within ±0.50 points (difference 0.00 [${tight.ci[0].toFixed(2)}, ${tight.ci[1].toFixed(2)}]) over 5 paired runs`);
  assert.match(describeComparison("A", "B", narrow), /^A is within noise of B \(difference 0\.00 points \[-0\.10, 0\.10\], wider than the ±0\.05 margin\) over 5 paired runs$/);
});

Deno.test("fixedDigits: no sign on a value that rounds to zero", () => {
  assert.equal(fixedDigits(-0.0001, 2), "0.00");
  assert.equal(fixedDigits(-0.004, 1), "0.0");
  assert.equal(fixedDigits(-0.4, 0), "0");
  assert.equal(fixedDigits(-0.006, 2), "-0.01");
  assert.equal(fixedDigits(0.5, 1), "0.5");
});
