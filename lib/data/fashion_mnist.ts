/**
 * Fashion-MNIST (Debian `dataset-fashion-mnist`): 28x28 grey images of 10 clothing classes. The idx
 * files are parsed here; a per-class subset of the test set is written once as PNG files into the cache
 * so that every image encoder reads it like any other image.
 *
 * @example
 * ```ts
 * const fm = await loadFashionMnist({ perClass: 100 });   // 1,000 test images
 * fm.classes;  // ["t-shirt/top", "trouser", ...]
 * ```
 */
import { existsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import sharp from "sharp";
import { debVersion, ensureDebAsset } from "./assets.ts";
import type { Dataset, Item } from "./items.ts";
import { projectPaths } from "../runtime/paths.ts";
import { requireDir } from "./walk.ts";

/** Fashion-MNIST's class names, by label. */
export const FASHION_MNIST_CLASSES = [
  "t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot",
] as const;

/** Parse an idx file (images: [n, rows, cols] uint8; labels: [n] uint8). Pure. */
export function parseIdx(bytes: Uint8Array): { dims: number[]; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint16(0) !== 0 || bytes[2] !== 0x08) {
    throw new Error("not an unsigned-byte idx file (bad magic number)");
  }
  const nd = bytes[3];
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i));
  const start = 4 + 4 * nd, size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length < start + size) throw new Error(`idx file truncated: expected ${size} values, found ${bytes.length - start}`);
  return { dims, data: bytes.subarray(start, start + size) };
}

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** Test images per class (default 100; 1,000 is the whole test set). */
  perClass?: number;
  root?: string;
}

/** Load a per-class subset of the Fashion-MNIST test set as PNG files. */
export async function loadFashionMnist(opts: FashionMnistOptions = {}): Promise<Dataset> {
  const perClass = opts.perClass ?? 100;
  const base = opts.root ?? await ensureDebAsset("dataset-fashion-mnist");
  const dir = join(base, "usr", "share", "datasets", "fashion-mnist");
  requireDir(dir, "Fashion-MNIST folder", "Install or unpack the Debian package dataset-fashion-mnist.");
  const images = parseIdx(gunzipSync(await Deno.readFile(join(dir, "t10k-images-idx3-ubyte.gz"))));
  const labels = parseIdx(gunzipSync(await Deno.readFile(join(dir, "t10k-labels-idx1-ubyte.gz"))));
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) throw new Error(`Fashion-MNIST: ${n} images but ${labels.dims[0]} labels`);
  const outDir = join(projectPaths().cache, "datasets", "fashion-mnist-png");
  await Deno.mkdir(outDir, { recursive: true });
  const counts = new Array(10).fill(0);
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    const y = labels.data[i];
    if (counts[y] >= perClass) continue;
    counts[y]++;
    const path = join(outDir, `t10k-${String(i).padStart(5, "0")}.png`);
    if (!existsSync(path)) {
      const tmp = `${path}.${Deno.pid}.tmp`;
      await sharp(images.data.subarray(i * h * w, (i + 1) * h * w), { raw: { width: w, height: h, channels: 1 } })
        .png().toFile(tmp);
      await Deno.rename(tmp, path);
    }
    items.push({
      item_id: `fashion-mnist/t10k-${i}`,
      image_path: path,
      class_id: y,
      class_name: FASHION_MNIST_CLASSES[y],
      caption: null,
      group: null,
      split: "test",
      source: "fashion-mnist",
    });
  }
  return { name: "fashion-mnist", version: `dataset-fashion-mnist ${debVersion(base)}`, items, classes: [...FASHION_MNIST_CLASSES] };
}
