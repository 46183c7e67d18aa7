/**
 * Cache the JSON result of an expensive computation under `<cache>/results/<namespace>/<hash>.json`,
 * keyed by a stable hash of everything that determines it. Written atomically, so an interrupted run
 * leaves no half result.
 *
 * @example
 * ```ts
 * const r = await memoJson("probing", { dataset, text, seed, train }, () => probingRun(ctx, opts));
 * ```
 */
import { join } from "node:path";
import { projectPaths } from "./paths.ts";
import { readJsonOr, writeJsonAtomic } from "./atomic.ts";
import { sha256Hex, stableJson } from "../core/hash.ts";

/** Return the cached value for `key`, or compute, store and return it. `SHARELOCK_NO_MEMO=1` recomputes. */
export async function memoJson<T>(namespace: string, key: unknown, compute: () => Promise<T>, cache = projectPaths().cache): Promise<T> {
  const path = join(cache, "results", namespace, `${(await sha256Hex(stableJson(key))).slice(0, 24)}.json`);
  if (Deno.env.get("SHARELOCK_NO_MEMO") !== "1") {
    const hit = await readJsonOr<{ value: T } | null>(path, null);
    if (hit) return hit.value;
  }
  const value = await compute();
  await writeJsonAtomic(path, { key, value });
  return value;
}
