/**
 * Adam's per-value update as a WebAssembly SIMD kernel, two values at a time in float64 lanes: the same
 * operations in the same order as the scalar formula in float64, so every parameter and moment it writes
 * is bit-identical to that formula's (`tests/adam_kernel_test.ts`):
 *
 *     gk = g * coef + cw * p;  m = fround(b1 * m + a1 * gk);  v = fround(b2 * v + a2 * gk * gk)
 *     p = p - (lr * m * ic1) / (sqrt(v * ic2) + eps) - dw * p        (stored as float32)
 *
 * A scalar loop is bound by one float64 division and square root per value; the kernel does two at a
 * time. Arrays are streamed through a small scratch memory in chunks that stay in the core's cache, so
 * they can live anywhere.
 *
 * The module is written out below as bytes (no toolchain): one function `adam(bytes, ...constants)`
 * over four regions of {@link CHUNK} float32 values at fixed offsets (parameters, gradients, first and
 * second moments).
 *
 * @example
 * ```ts
 * import { adamUpdate } from "./adam_kernel.ts";
 * const p = Float32Array.of(1, -2, 3), g = Float32Array.of(0.5, 0.5, -1);
 * const m = new Float32Array(3), v = new Float32Array(3);
 * adamUpdate(p, g, m, v, { coef: 1, cw: 0, b1: 0.9, a1: 0.1, b2: 0.999, a2: 0.001, lr: 1e-3, ic1: 10, ic2: 1000, eps: 1e-8, dw: 0 });
 * ```
 */

/** The constants of one Adam update (see `adamStep`): the gradient is `g * coef + cw * p`. */
export interface AdamConstants {
  /** Clipping factor of the gradient. */
  coef: number;
  /** Coupled weight decay (added to the gradient). */
  cw: number;
  b1: number;
  /** 1 - b1. */
  a1: number;
  b2: number;
  /** 1 - b2. */
  a2: number;
  lr: number;
  /** Bias corrections: 1 / (1 - b1^t), 1 / (1 - b2^t). */
  ic1: number;
  ic2: number;
  eps: number;
  /** Decoupled weight decay times the learning rate (AdamW). */
  dw: number;
}

/**
 * The same update as a scalar float64 loop, the way the formula reads: the reference the kernel is
 * tested and timed against (`tests/adam_kernel_test.ts`, `scripts/bench_adam.ts`). In place, like {@link adamUpdate}.
 */
export function adamUpdateReference(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamConstants): void {
  for (let k = 0; k < p.length; k++) {
    const gk = g[k] * c.coef + c.cw * p[k];
    const mk = Math.fround(c.b1 * m[k] + c.a1 * gk), vk = Math.fround(c.b2 * v[k] + c.a2 * gk * gk);
    p[k] = p[k] - (c.lr * mk * c.ic1) / (Math.sqrt(vk * c.ic2) + c.eps) - c.dw * p[k];
    m[k] = mk;
    v[k] = vk;
  }
}

/** Values per chunk: four regions of 8,192 float32 values, 128 KiB of scratch. */
export const CHUNK = 8192;

const CONSTANTS = ["coef", "cw", "b1", "a1", "b2", "a2", "lr", "ic1", "ic2", "eps", "dw"] as const;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** The module's bytes. Pure. */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const REGION = CHUNK * 4, [P, G, M, V] = [0, REGION, 2 * REGION, 3 * REGION];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const str = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
  const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
  // locals: 0 bytes (i32), 1..11 the constants (f64); 12 i (i32); 13..23 the constants splatted; 24 p, 25 gk, 26 mk, 27 vk, 28 t
  const NC = CONSTANTS.length, I = 1 + NC, C = (name: typeof CONSTANTS[number]) => I + 1 + CONSTANTS.indexOf(name);
  const [Lp, Lg, Lm, Lv, Lt] = [I + 1 + NC, I + 2 + NC, I + 3 + NC, I + 4 + NC, I + 5 + NC];
  const get = (l: number) => [0x20, ...uleb(l)], set = (l: number) => [0x21, ...uleb(l)];
  const simd = (op: number) => [0xfd, ...uleb(op)];
  const load64 = (offset: number) => [...get(I), ...simd(0x5d), 2, ...uleb(offset)]; // v128.load64_zero
  const store64 = (offset: number, value: number[]) => [...get(I), ...value, ...simd(0x5b), 2, ...uleb(offset), 0]; // v128.store64_lane 0
  const promote = simd(0x5f), demote = simd(0x5e), sqrt = simd(0xef), add = simd(0xf0), sub = simd(0xf1), mul = simd(0xf2), div = simd(0xf3);
  const body = [
    ...vec([[1, I32], [NC + 5, V128]]),
    ...CONSTANTS.flatMap((_, k) => [...get(1 + k), ...simd(0x14), ...set(I + 1 + k)]), // f64x2.splat
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(I), ...get(0), 0x4f, 0x0d, 1, // i >= bytes: break
    ...load64(P), ...promote, ...set(Lp),
    // gk = g * coef + cw * p
    ...load64(G), ...promote, ...get(C("coef")), ...mul, ...get(C("cw")), ...get(Lp), ...mul, ...add, ...set(Lg),
    // m = fround(b1 * m + a1 * gk), stored, and read back as float64
    ...get(C("b1")), ...load64(M), ...promote, ...mul, ...get(C("a1")), ...get(Lg), ...mul, ...add, ...demote, ...set(Lt),
    ...store64(M, get(Lt)), ...get(Lt), ...promote, ...set(Lm),
    // v = fround(b2 * v + a2 * gk * gk)
    ...get(C("b2")), ...load64(V), ...promote, ...mul, ...get(C("a2")), ...get(Lg), ...mul, ...get(Lg), ...mul, ...add, ...demote, ...set(Lt),
    ...store64(V, get(Lt)), ...get(Lt), ...promote, ...set(Lv),
    // p - (lr * m * ic1) / (sqrt(v * ic2) + eps) - dw * p
    ...store64(P, [
      ...get(Lp), ...get(C("lr")), ...get(Lm), ...mul, ...get(C("ic1")), ...mul,
      ...get(Lv), ...get(C("ic2")), ...mul, ...sqrt, ...get(C("eps")), ...add, ...div, ...sub,
      ...get(C("dw")), ...get(Lp), ...mul, ...sub, ...demote,
    ]),
    ...get(I), 0x41, 8, 0x6a, ...set(I), 0x0c, 0, // i += 8; continue
    0x0b, 0x0b, 0x0b, // end loop, end block, end function
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], ...CONSTANTS.map(() => [F64])]), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0, ...uleb(Math.ceil((4 * REGION) / 65536))]])),
    ...section(7, vec([[...str("adam"), 0, 0], [...str("memory"), 2, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

interface Kernel {
  adam: (bytes: number, ...constants: number[]) => void;
  regions: [Float32Array, Float32Array, Float32Array, Float32Array];
}

let kernel: Kernel | undefined; // compiled once per process; its scratch holds nothing between calls

function instance(): Kernel {
  if (kernel) return kernel;
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
  const buffer = (exports.memory as WebAssembly.Memory).buffer;
  const region = (k: number) => new Float32Array(buffer, k * CHUNK * 4, CHUNK);
  kernel = { adam: exports.adam as Kernel["adam"], regions: [region(0), region(1), region(2), region(3)] };
  return kernel;
}

/** One Adam update of every value IN PLACE (the formula above): `p`, `m` and `v` are rewritten, `g` is read. */
export function adamUpdate(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamConstants): void {
  const n = p.length;
  if (g.length !== n || m.length !== n || v.length !== n) {
    throw new Error(`adamUpdate: parameters, gradients and moments differ in length (${n}, ${g.length}, ${m.length}, ${v.length})`);
  }
  const { adam, regions: [P, G, M, V] } = instance(), constants = CONSTANTS.map((k) => c[k]);
  for (let o = 0; o < n; o += CHUNK) {
    const len = Math.min(CHUNK, n - o), end = o + len;
    P.set(p.subarray(o, end));
    G.set(g.subarray(o, end));
    M.set(m.subarray(o, end));
    V.set(v.subarray(o, end));
    adam(Math.ceil(len / 2) * 8, ...constants); // an odd chunk's last lane pair reads one stale value it never writes back
    p.set(P.subarray(0, len), o);
    m.set(M.subarray(0, len), o);
    v.set(V.subarray(0, len), o);
  }
}
