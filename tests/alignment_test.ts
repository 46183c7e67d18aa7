import assert from "node:assert/strict";
import { alignmentReport, linearCka, mutualKnn } from "../lib/stats/alignment.ts";
import { seededRandom } from "../lib/runtime/random.ts";

type M = { rows: number; dim: number; data: Float32Array };
const randomMatrix = (rows: number, dim: number, seed: number): M => {
  const rng = seededRandom(seed);
  return { rows, dim, data: Float32Array.from({ length: rows * dim }, () => rng.normal()) };
};
const rowsOf = (m: M) => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.dim, (i + 1) * m.dim)));
const unit = (rows: number[][]) => rows.map((r) => {
  const n = Math.hypot(...r) || 1;
  return r.map((x) => x / n);
});

/** Linear CKA the feature-space way: ||Yc'Xc||_F^2 / (||Xc'Xc||_F ||Yc'Yc||_F), columns centred. */
function ckaFeatureSpace(a: M, b: M): number {
  const centre = (rows: number[][]) => {
    const mean = rows[0].map((_, c) => rows.reduce((s, r) => s + r[c], 0) / rows.length);
    return rows.map((r) => r.map((x, c) => x - mean[c]));
  };
  const X = centre(unit(rowsOf(a))), Y = centre(unit(rowsOf(b)));
  const cross = (P: number[][], Q: number[][]) => {
    let f = 0;
    for (let i = 0; i < P[0].length; i++) {
      for (let j = 0; j < Q[0].length; j++) {
        let s = 0;
        for (let r = 0; r < P.length; r++) s += P[r][i] * Q[r][j];
        f += s * s;
      }
    }
    return f;
  };
  return cross(Y, X) / Math.sqrt(cross(X, X) * cross(Y, Y));
}

/** Unbiased CKA written out with explicit matrices (Song et al. 2012, eq. 5). */
function ckaUnbiasedNaive(a: M, b: M): number {
  const gram = (m: M) => {
    const r = unit(rowsOf(m));
    return r.map((x, i) => r.map((y, j) => (i === j ? 0 : x.reduce((s, v, c) => s + v * y[c], 0))));
  };
  const hsic = (K: number[][], L: number[][]) => {
    const m = K.length;
    const sum = (A: number[][]) => A.flat().reduce((s, x) => s + x, 0);
    const KL = K.map((row) => L[0].map((_, j) => row.reduce((s, k, t) => s + k * L[t][j], 0)));
    const tr = K.reduce((s, row, i) => s + row.reduce((t, k, j) => t + k * L[j][i], 0), 0);
    return (tr + (sum(K) * sum(L)) / ((m - 1) * (m - 2)) - (2 * sum(KL)) / (m - 2)) / (m * (m - 3));
  };
  const K = gram(a), L = gram(b);
  return hsic(K, L) / Math.sqrt(hsic(K, K) * hsic(L, L));
}

Deno.test("linearCka equals the feature-space formula, and the unbiased estimator equals its explicit form", () => {
  const a = randomMatrix(30, 7, 1), noise = randomMatrix(30, 7, 2);
  const b = { ...a, data: a.data.map((x, i) => x + 0.8 * noise.data[i]) };
  const biased = linearCka(a, b);
  assert.ok(Math.abs(biased - ckaFeatureSpace(a, b)) < 1e-9, `${biased} vs ${ckaFeatureSpace(a, b)}`);
  const unbiased = linearCka(a, b, { unbiased: true });
  assert.ok(Math.abs(unbiased - ckaUnbiasedNaive(a, b)) < 1e-9, `${unbiased} vs ${ckaUnbiasedNaive(a, b)}`);
  assert.ok(biased > 0.3 && biased < 1, `related but not equal: ${biased}`);
});

Deno.test("mutualKnn counts shared neighbours on a hand-made example", () => {
  // points on a line at 0, 1, 3, 10 (as angles, so cosine similarity follows distance); B swaps items 2 and 3
  const angles = (xs: number[]) => ({ rows: xs.length, dim: 2, data: Float32Array.from(xs.flatMap((x) => [Math.cos(x / 20), Math.sin(x / 20)])) });
  const a = angles([0, 1, 3, 10]);
  const b = angles([0, 1, 10, 3]);
  // k = 1: A's nearest: 0->1, 1->0, 2->1, 3->2; B's: 0->1, 1->0, 2->3, 3->1; shared for items 0 and 1 only
  assert.equal(mutualKnn(a, b, 1), 0.5);
  assert.equal(mutualKnn(a, a, 3), 1);
  assert.throws(() => mutualKnn(a, b, 4), /k must be 1\.\.3/);
  assert.throws(() => mutualKnn(a, angles([0, 1, 3]), 1), /same items in both matrices: 4 rows against 3/);
});

Deno.test("alignment is invariant to rotation and scale, and near chance for unrelated features", () => {
  const a = randomMatrix(60, 6, 3);
  // a rotation in the plane of the first two columns and a scale
  const th = 0.7, c = Math.cos(th), s = Math.sin(th);
  const rot = { ...a, data: a.data.map((_, i) => {
    const r = Math.floor(i / 6), col = i % 6, x = a.data[r * 6], y = a.data[r * 6 + 1];
    return 3 * (col === 0 ? c * x - s * y : col === 1 ? s * x + c * y : a.data[i]);
  }) };
  assert.equal(mutualKnn(a, rot, 10), 1);
  assert.ok(Math.abs(linearCka(a, rot) - 1) < 1e-9);
  assert.ok(Math.abs(linearCka(a, rot, { unbiased: true }) - 1) < 1e-9);
  const other = randomMatrix(60, 6, 4);
  const chance = 10 / 59;
  assert.ok(Math.abs(mutualKnn(a, other, 10) - chance) < 0.1, `unrelated: ${mutualKnn(a, other, 10)} vs chance ${chance}`);
  assert.ok(Math.abs(linearCka(a, other, { unbiased: true })) < 0.15, `unbiased CKA of unrelated features ${linearCka(a, other, { unbiased: true })}`);
});

Deno.test("alignmentReport: seeded bootstrap intervals around the point value; copies are never their own neighbours", () => {
  const a = randomMatrix(40, 5, 5), noise = randomMatrix(40, 5, 6);
  const b = { ...a, data: a.data.map((x, i) => x + noise.data[i]) };
  const r1 = alignmentReport(a, b, { k: 5, resamples: 100, seed: 9 });
  const r2 = alignmentReport(a, b, { k: 5, resamples: 100, seed: 9 });
  assert.deepEqual(r1, r2, "same seed, same report");
  for (const m of [r1.mutualKnn, r1.cka, r1.unbiasedCka]) assert.ok(m.low <= m.value + 0.05 && m.value - 0.05 <= m.high && m.low < m.high, JSON.stringify(m));
  assert.equal(r1.mutualKnn.value, mutualKnn(a, b, 5));
  assert.equal(r1.knnChance, 5 / 39);
  const same = alignmentReport(a, a, { k: 5, resamples: 30, seed: 1 });
  assert.equal(same.mutualKnn.low, 1, "resamples with duplicated items still agree perfectly");
});
