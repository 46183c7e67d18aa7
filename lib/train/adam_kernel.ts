/**
 * Adam's per-value update as a WebAssembly SIMD kernel, two values at a time in float64 lanes: the same
 * operations in the same order as the scalar formula in float64, so every parameter and moment it writes
 * is bit-identical to that formula's (`tests/adam_kernel_test.ts`):
 *
 *     gk = g * coef + cw * p;  m = fround(b1 * m + a1 * gk);  v = fround(b2 * v + a2 * gk * gk)
 *     p = p - (lr * m * ic1) / (sqrt(v * ic2) + eps) - dw * p        (stored as float32)
 *
 * A scalar loop is bound by one float64 division and square root per value; the kernel does two at a
 * time. Arrays in the kernel's memory (Adam's moments, from {@link kernelBuffers}) are updated where they
 * lie; the others (parameters, gradients) pass through a small scratch memory in chunks that stay in the
 * core's cache, so they can live anywhere.
 *
 * The module is written out below as bytes (no toolchain): one function `adam(p, g, m, v, bytes,
 * ...constants)` over byte offsets into its memory, a memory per instance.
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

/** The module's bytes: `adam(p, g, m, v, bytes, ...constants)` over byte offsets into an imported memory. Pure. */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const str = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
  const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
  // locals: 0-3 the arrays' offsets, 4 bytes (i32); 5..15 the constants (f64); 16 i (i32); then the
  // constants splatted (v128), and p, gk, mk, vk, t (v128)
  const NC = CONSTANTS.length, [P, G, M, V, BYTES] = [0, 1, 2, 3, 4], I = 5 + NC;
  const C = (name: typeof CONSTANTS[number]) => I + 1 + CONSTANTS.indexOf(name);
  const [Lp, Lg, Lm, Lv, Lt] = [I + 1 + NC, I + 2 + NC, I + 3 + NC, I + 4 + NC, I + 5 + NC];
  const get = (l: number) => [0x20, ...uleb(l)], set = (l: number) => [0x21, ...uleb(l)];
  const simd = (op: number) => [0xfd, ...uleb(op)];
  const at = (base: number) => [...get(base), ...get(I), 0x6a]; // base + i
  const load64 = (base: number) => [...at(base), ...simd(0x5d), 2, 0]; // v128.load64_zero
  const store64 = (base: number, value: number[]) => [...at(base), ...value, ...simd(0x5b), 2, 0, 0]; // v128.store64_lane 0
  const promote = simd(0x5f), demote = simd(0x5e), sqrt = simd(0xef), add = simd(0xf0), sub = simd(0xf1), mul = simd(0xf2), div = simd(0xf3);
  const body = [
    ...vec([[1, I32], [NC + 5, V128]]),
    ...CONSTANTS.flatMap((_, k) => [...get(5 + k), ...simd(0x14), ...set(I + 1 + k)]), // f64x2.splat
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(I), ...get(BYTES), 0x4f, 0x0d, 1, // i >= bytes: break
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
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], ...CONSTANTS.map(() => [F64])]), 0]])),
    ...section(2, vec([[...str("env"), ...str("memory"), 2, 0, 1]])), // memory, limits: at least 1 page
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str("adam"), 0, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** A kernel instance on its own memory: the scratch regions first, then any buffers placed there. */
interface Kernel {
  adam: (p: number, g: number, m: number, v: number, bytes: number, ...constants: number[]) => void;
  buffer: ArrayBuffer;
  regions: [Float32Array, Float32Array, Float32Array, Float32Array];
}

const SCRATCH_BYTES = 4 * CHUNK * 4, PAGE = 65536;
/** Up to this many bytes of buffers go in one kernel memory (wasm32 addresses 4 GiB). */
const MAX_BUFFER_BYTES = 2 ** 31;

let compiled: WebAssembly.Module | undefined; // compiled once per process (pure bytes)
let shared: Kernel | undefined; // for arrays outside any kernel memory; its scratch holds nothing between calls
const kernels = new WeakMap<ArrayBufferLike, Kernel>(); // kernel memories by their buffer

function newKernel(bufferBytes: number): Kernel {
  compiled ??= new WebAssembly.Module(moduleBytes());
  const memory = new WebAssembly.Memory({ initial: Math.ceil((SCRATCH_BYTES + bufferBytes) / PAGE) });
  const { exports } = new WebAssembly.Instance(compiled, { env: { memory } });
  const buffer = memory.buffer, region = (k: number) => new Float32Array(buffer, k * CHUNK * 4, CHUNK);
  const kernel = { adam: exports.adam as Kernel["adam"], buffer, regions: [region(0), region(1), region(2), region(3)] as Kernel["regions"] };
  kernels.set(buffer, kernel);
  return kernel;
}

/**
 * Zeroed float32 buffers of these sizes that {@link adamUpdate} updates where they lie, without passing
 * them through its scratch memory: for Adam's moments (`adamState`). An odd-sized one is followed by one
 * value of padding, so that each starts on 8 bytes. Plain Float32Arrays when they would not fit one
 * kernel memory or none can be allocated.
 */
export function kernelBuffers(sizes: readonly number[]): Float32Array[] {
  const padded = sizes.map((n) => 4 * (n + (n % 2))), total = padded.reduce((a, b) => a + b, 0);
  const plain = () => sizes.map((n) => new Float32Array(n));
  if (total > MAX_BUFFER_BYTES) return plain();
  let buffer: ArrayBuffer;
  try {
    ({ buffer } = newKernel(total));
  } catch (err) {
    if (err instanceof RangeError) return plain(); // no memory of that size now: the update stages them instead
    throw err;
  }
  let at = SCRATCH_BYTES;
  return sizes.map((n, k) => {
    const view = new Float32Array(buffer, at, n);
    at += padded[k];
    return view;
  });
}

/**
 * One Adam update of every value IN PLACE (the formula above): `p`, `m` and `v` are rewritten, `g` is
 * read. Arrays in the kernel's memory ({@link kernelBuffers}) are read and written where they lie; the
 * others pass through its scratch memory in chunks.
 */
export function adamUpdate(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamConstants): void {
  const n = p.length;
  if (g.length !== n || m.length !== n || v.length !== n) {
    throw new Error(`adamUpdate: parameters, gradients and moments differ in length (${n}, ${g.length}, ${m.length}, ${v.length})`);
  }
  const kernel = kernels.get(m.buffer) ?? kernels.get(p.buffer) ?? (shared ??= newKernel(0));
  const constants = CONSTANTS.map((k) => c[k]), arrays = [p, g, m, v], written = [true, false, true, true];
  const inPlace = arrays.map((a) => a.buffer === kernel.buffer), staged = arrays.map(() => false);
  // values [o, o + len): the arrays not `where` their buffers lie pass through the scratch regions
  const run = (o: number, len: number, where: readonly boolean[]) => {
    const offsets = arrays.map((a, k) => {
      if (where[k]) return a.byteOffset + 4 * o;
      kernel.regions[k].set(a.subarray(o, o + len));
      return kernel.regions[k].byteOffset;
    });
    kernel.adam(offsets[0], offsets[1], offsets[2], offsets[3], Math.ceil(len / 2) * 8, ...constants);
    arrays.forEach((a, k) => {
      if (written[k] && !where[k]) a.set(kernel.regions[k].subarray(0, len), o);
    });
  };
  for (let o = 0; o < n; o += CHUNK) {
    const len = Math.min(CHUNK, n - o);
    // the kernel works on pairs: an odd count's last pair would read and write one value past the end,
    // harmless in the scratch, not where an array lies, so that value goes through the scratch
    const pairs = inPlace.some(Boolean) ? len - (len % 2) : len;
    if (pairs > 0) run(o, pairs, inPlace);
    if (pairs < len) run(o + pairs, 1, staged);
  }
}
