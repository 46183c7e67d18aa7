import assert from "node:assert/strict";
import { describeComparison, pairedComparison, verdictOf } from "../lib/stats/paired.ts";

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
