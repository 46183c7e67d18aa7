/**
 * The body of a decoding thread of `decode_pool.ts`: answers each `{ id, images, spec }` with the
 * images' 8-bit pixels (`decodeImage`; their buffers transferred, not copied) or `{ id, error }`. Not
 * imported by anything else.
 */
import { parentPort } from "node:worker_threads";
import { decodeImage, type PreprocessSpec } from "./image_io.ts";
import type { ImageInput } from "../data/image_ref.ts";

parentPort!.on("message", async ({ id, images, spec }: { id: number; images: ImageInput[]; spec: PreprocessSpec }) => {
  try {
    // each image's pixels in a buffer of their own (a view into a larger buffer is copied out), so that
    // transferring the buffers hands over exactly these pixels
    const pixels = (await Promise.all(images.map((im) => decodeImage(im, spec))))
      .map((px) => (px.byteOffset === 0 && px.byteLength === px.buffer.byteLength ? px : px.slice()));
    parentPort!.postMessage({ id, pixels }, pixels.map((px) => px.buffer as ArrayBuffer));
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message });
  }
});
