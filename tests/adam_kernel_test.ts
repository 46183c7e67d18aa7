import assert from "node:assert/strict";
import { type AdamConstants, adamUpdate, adamUpdateReference as scalarUpdate, CHUNK, kernelBuffers } from "../lib/train/adam_kernel.ts";
import { adamState, adamStep } from "../lib/train/optim.ts";
import { seededRandom } from "../lib/runtime/random.ts";

const rng = seededRandom(7);
/** Values over eight decades, signs mixed, a few exact zeros. */
const values = (n: number, positive = false) =>
  Float32Array.from({ length: n }, (_, k) => (k % 97 === 0 ? 0 : (positive ? 1 : Math.sign(rng.next() - 0.5)) * 10 ** (rng.next() * 8 - 6)));

const firstDifference = (a: Float32Array, b: Float32Array) => a.findIndex((x, k) => !Object.is(x, b[k]));

Deno.test("the Adam kernel is bit-identical to the scalar float64 update, across chunks, odd lengths and both decays", () => {
  const constants: AdamConstants[] = [
    { coef: 0.37, cw: 1e-4, b1: 0.9, a1: 0.1, b2: 0.999, a2: 1 - 0.999, lr: 7e-4, ic1: 1 / (1 - 0.9 ** 3), ic2: 1 / (1 - 0.999 ** 3), eps: 1e-8, dw: 0 },
    { coef: 1, cw: 0, b1: 0.8, a1: 1 - 0.8, b2: 0.99, a2: 1 - 0.99, lr: 3e-2, ic1: 1.25, ic2: 7.5, eps: 1e-6, dw: 3e-2 * 0.05 },
  ];
  for (const n of [1, 2, 3, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5, 50_001]) {
    for (const c of constants) {
      const p = values(n), g = values(n), m = values(n), v = values(n, true);
      const [p1, m1, v1, p2, m2, v2] = [p, m, v, p, m, v].map((a) => a.slice());
      scalarUpdate(p1, g, m1, v1, c);
      adamUpdate(p2, g, m2, v2, c);
      for (const [name, a, b] of [["parameters", p1, p2], ["first moments", m1, m2], ["second moments", v1, v2]] as const) {
        const k = firstDifference(a, b);
        assert.equal(k, -1, `${n} values: ${name} differ first at ${k} (${a[k]} vs ${b[k]})`);
      }
      if (n > 1) assert.ok(firstDifference(p, p2) >= 0, "the update changed the parameters"); // value 0 is all zeros
    }
  }
});

Deno.test("arrays in kernel memory are updated where they lie, bit-identical, without touching their neighbours", () => {
  const c: AdamConstants = { coef: 0.8, cw: 1e-3, b1: 0.9, a1: 0.1, b2: 0.999, a2: 1 - 0.999, lr: 1e-2, ic1: 3, ic2: 40, eps: 1e-8, dw: 0 };
  for (const n of [1, 3, CHUNK + 1, 2 * CHUNK + 7]) {
    // four odd-sized buffers side by side, then a sentinel buffer: all four in place, then only m and v
    for (const placed of [[0, 1, 2, 3], [2, 3]]) {
      const bufs = kernelBuffers([n, n, n, n, 4]), sentinel = bufs[4];
      sentinel.set([1, 2, 3, 4]);
      const init = [values(n), values(n), values(n), values(n, true)];
      const arrays = init.map((a, k) => (placed.includes(k) ? (bufs[k].set(a), bufs[k]) : a.slice()));
      const ref = init.map((a) => a.slice());
      scalarUpdate(ref[0], ref[1], ref[2], ref[3], c);
      adamUpdate(arrays[0], arrays[1], arrays[2], arrays[3], c);
      for (const k of [0, 1, 2, 3]) assert.equal(firstDifference(ref[k], arrays[k]), -1, `${n} values, array ${k} (in place: ${placed})`);
      assert.deepEqual([...sentinel], [1, 2, 3, 4], "the buffer after the last one is untouched");
      if (placed.length === 4) assert.equal(firstDifference(bufs[1], init[1]), -1, "the gradients are only read");
    }
  }
  // odd-sized views inside kernel buffers: the value after each view is left as it is
  const [pk, gk, mk, vk] = kernelBuffers([10, 10, 10, 10]);
  [pk, gk, mk, vk].forEach((b, k) => b.set(values(10, k === 3)));
  const before = [pk, gk, mk, vk].map((b) => b.slice()), ref = before.map((b) => b.slice(0, 5));
  scalarUpdate(ref[0], ref[1], ref[2], ref[3], c);
  adamUpdate(pk.subarray(0, 5), gk.subarray(0, 5), mk.subarray(0, 5), vk.subarray(0, 5), c);
  [pk, gk, mk, vk].forEach((b, k) => {
    assert.equal(firstDifference(b.subarray(0, 5), ref[k]), -1, `view ${k}: the update`);
    assert.equal(firstDifference(b.subarray(5), before[k].subarray(5)), -1, `view ${k}: the values after it`);
  });
});

Deno.test("adamStep over several parameters equals the scalar update with its clipping factor and bias corrections", () => {
  const sizes = [CHUNK + 3, 17, 1], params = sizes.map((n) => values(n)), grads = sizes.map((n) => values(n));
  const ref = params.map((p) => p.slice()), st = adamState(params), m = sizes.map((n) => new Float32Array(n)), v = sizes.map((n) => new Float32Array(n));
  for (let t = 1; t <= 3; t++) {
    const norm = adamStep(params, grads, st, { lr: 1e-3 * t, clipNorm: 0.5 }, { weightDecay: 1e-2 });
    let sq = 0;
    for (const g of grads) for (const x of g) sq += x * x;
    assert.equal(norm, Math.sqrt(sq));
    const c: AdamConstants = { coef: Math.min(1, 0.5 / (norm + 1e-6)), cw: 1e-2, b1: 0.9, a1: 1 - 0.9, b2: 0.999, a2: 1 - 0.999, lr: 1e-3 * t, ic1: 1 / (1 - 0.9 ** t), ic2: 1 / (1 - 0.999 ** t), eps: 1e-8, dw: 0 };
    ref.forEach((p, i) => scalarUpdate(p, grads[i], m[i], v[i], c));
    ref.forEach((p, i) => assert.equal(firstDifference(p, params[i]), -1, `step ${t}, parameter ${i}`));
  }
});

Deno.test("the Adam kernel rejects arrays of different lengths, naming them", () => {
  const a = new Float32Array(4), c = { coef: 1, cw: 0, b1: 0.9, a1: 0.1, b2: 0.999, a2: 0.001, lr: 1, ic1: 1, ic2: 1, eps: 1e-8, dw: 0 };
  assert.throws(() => adamUpdate(a, new Float32Array(3), a.slice(), a.slice(), c), /parameters, gradients and moments differ in length \(4, 3, 4, 4\)/);
});
