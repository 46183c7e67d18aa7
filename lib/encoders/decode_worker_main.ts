/**
 * The body of a decoding thread of `decode_pool.ts`: answers each `{ id, images, spec }` with the
 * batch's pixels (the buffer transferred, not copied) or `{ id, error }`. Not imported by anything else.
 */
import { parentPort } from "node:worker_threads";
import { preprocessBatch } from "./image_batches.ts";
import type { PreprocessSpec } from "./image_io.ts";
import type { ImageInput } from "./types.ts";

parentPort!.on("message", async ({ id, images, spec }: { id: number; images: ImageInput[]; spec: PreprocessSpec }) => {
  try {
    const pixels = await preprocessBatch(images, spec);
    parentPort!.postMessage({ id, pixels }, [pixels.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message });
  }
});
