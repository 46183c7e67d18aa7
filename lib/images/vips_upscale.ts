/**
 * The enlargement that sharp's `resize(size, size, { fit: "contain", kernel: "linear" })` does to an image
 * smaller than the target, written out in TypeScript so that it costs a fraction of libvips's per-call
 * overhead: libvips 8.18's `vips_resize` enlarges with `vips_affine` and the `bilinear` interpolator
 * (12-bit fixed point for 8-bit pixels, centre sampling, edge pixels copied outwards), then sharp embeds
 * the result centred on the background. Same arithmetic, same order of floating-point operations, so the
 * bytes are the same as sharp's (checked on every image of the embedded datasets by
 * `tests/vips_upscale_test.ts`). Only enlargement on both axes is covered (the image's longer side
 * shorter than `size`); anything else goes through sharp.
 *
 * @example
 * ```ts
 * const rgb = new Uint8Array(2 * 2 * 3).fill(200);         // a 2x2 RGB image
 * const out = containUpscale(rgb, 2, 2, 8, 255);           // 8x8x3 bytes, as sharp would give them
 * out.length;                                               // 192
 * ```
 */

/** libvips's `VIPS_INTERPOLATE_SHIFT`: bilinear weights in 12-bit fixed point for 8-bit pixels. */
const SHIFT = 12;
const SCALE = 1 << SHIFT;

/** C's `VIPS_ROUND_INT`. */
const roundInt = (r: number) => Math.trunc(r > 0 ? r + 0.5 : r - 0.5);

/** The scale sharp gives `vips_resize` for `fit: "contain"` into `size` x `size` (`1 / ResolveShrink`). Pure. */
export function containScale(w: number, h: number, size: number): number {
  return 1.0 / Math.max(w / size, h / size);
}

/**
 * Whether {@link containUpscale} reproduces sharp for a `w` x `h` image into `size`: enlargement on both
 * axes (scale above 1). Pure.
 */
export function upscaleCovered(w: number, h: number, size: number): boolean {
  return w > 0 && h > 0 && containScale(w, h, size) > 1.0;
}

/**
 * Enlarge packed 3-band 8-bit pixels (`w` x `h`) as sharp's `fit: "contain"` bilinear resize does and embed
 * them centred in a `size` x `size` square of `background` (0-255, all bands). Pure.
 */
export function containUpscale(rgb: Uint8Array, w: number, h: number, size: number, background: number): Uint8Array {
  if (rgb.length !== w * h * 3) throw new Error(`containUpscale: ${rgb.length} bytes for a ${w}x${h} 3-band image`);
  if (!upscaleCovered(w, h, size)) throw new Error(`containUpscale: ${w}x${h} into ${size} is not an enlargement on both axes`);
  const s = containScale(w, h, size);
  // vips_affine: matrix [s 0 0 s], its inverse as vips__transform_calc_inverse computes it
  const det = s * s - 0 * 0, tmp = 1.0 / det;
  const ia = tmp * s, id = tmp * s;
  // output size: vips__transform_forward_rect of the input area (input offset not yet applied)
  const ow = roundInt(s * w), oh = roundInt(s * h);
  // vips_resize's centre-sampling offset, minus the one-pixel border vips_affine adds around the input
  const idx = 0.5 - 1, idy = idx;
  // the bordered input: (w + 3) x (h + 3), input at (1, 1), edges copied outwards (VIPS_EXTEND_COPY)
  const pw = w + 3;
  const col = new Int32Array(pw), row = new Int32Array(h + 3);
  for (let x = 0; x < pw; x++) col[x] = Math.min(w - 1, Math.max(0, x - 1)) * 3;
  for (let y = 0; y < h + 3; y++) row[y] = Math.min(h - 1, Math.max(0, y - 1)) * w * 3;
  // per output column: the byte offsets of its two input columns and the 12-bit weight, with ix
  // accumulated as vips_affine_gen does
  const ca = new Int32Array(ow), cb = new Int32Array(ow), wx = new Int32Array(ow);
  let ix = 0 - idx;
  for (let x = 0; x < ow; x++) {
    if (Math.floor(ix) < 0 || Math.floor(ix) > w) throw new Error(`containUpscale: column ${x} samples outside the input (${ix})`);
    const fx = Math.trunc(ix);
    ca[x] = col[fx];
    cb[x] = col[fx + 1];
    wx[x] = Math.trunc((ix - fx) * SCALE);
    ix += ia;
  }
  const out = new Uint8Array(size * size * 3).fill(background);
  const left = Math.trunc((size - ow) / 2), top = Math.trunc((size - oh) / 2);
  const half = SCALE / 2;
  for (let y = 0; y < oh; y++) {
    const iy = id * y - idy;
    if (Math.floor(iy) < 0 || Math.floor(iy) > h) throw new Error(`containUpscale: row ${y} samples outside the input (${iy})`);
    const fy = Math.trunc(iy);
    const Y = Math.trunc((iy - fy) * SCALE), Yd = SCALE - Y;
    const r0 = row[fy], r1 = row[fy + 1];
    let q = ((top + y) * size + left) * 3;
    for (let x = 0; x < ow; x++) {
      const X = wx[x];
      const c4 = (Y * X) >> SHIFT, c2 = (Yd * X) >> SHIFT;
      const c3 = Y - c4, c1 = Yd - c2;
      const a = r0 + ca[x], b = r0 + cb[x], c = r1 + ca[x], d = r1 + cb[x];
      out[q] = (c1 * rgb[a] + c2 * rgb[b] + c3 * rgb[c] + c4 * rgb[d] + half) >> SHIFT;
      out[q + 1] = (c1 * rgb[a + 1] + c2 * rgb[b + 1] + c3 * rgb[c + 1] + c4 * rgb[d + 1] + half) >> SHIFT;
      out[q + 2] = (c1 * rgb[a + 2] + c2 * rgb[b + 2] + c3 * rgb[c + 2] + c4 * rgb[d + 2] + half) >> SHIFT;
      q += 3;
    }
  }
  return out;
}

/** Width and height from a PNG's IHDR chunk, or undefined when `bytes` is not a PNG. Pure. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || sig.some((v, i) => bytes[i] !== v)) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}
