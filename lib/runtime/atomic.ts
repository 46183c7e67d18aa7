/**
 * Atomic file writes: write to a temporary file beside the target, then rename over it. A reader
 * never sees a half-written file, and a crash leaves the old file (or none), never a torn one.
 *
 * @example
 * ```ts
 * await writeFileAtomic("outputs/summary.json", JSON.stringify({ ok: true }));
 * ```
 */
import { dirname } from "node:path";

/** Write `data` (text or bytes) to `path` atomically, creating the parent folder. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Write `value` as pretty JSON to `path` atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Read JSON from `path`, or return `fallback` when the file does not exist. Other errors name the file. */
export async function readJsonOr<T>(path: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return fallback;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}
