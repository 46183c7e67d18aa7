/**
 * Cache the JSON result of an expensive computation under `<cache>/results/<namespace>/<hash>.json`,
 * keyed by {@link cacheKey} over everything that determines it (encoder identities, class texts,
 * templates, configs: the caller passes them all). Written atomically, so an interrupted run leaves no
 * half result.
 *
 * @example
 * ```ts
 * import { memoJson } from "./memo.ts";
 * const r = await memoJson("squares", { n: 12, v: 1 }, () => Promise.resolve(12 * 12));
 * ```
 */
import { join } from "node:path";
import { projectPaths } from "./paths.ts";
import { readJsonOr, writeJsonAtomic } from "./atomic.ts";
import { cacheKey } from "../core/hash.ts";

/** Return the cached value for `key`, or compute, store and return it. `SHARELOCK_NO_MEMO=1` recomputes. */
export async function memoJson<T>(namespace: string, key: unknown, compute: () => Promise<T>, cache = projectPaths().cache): Promise<T> {
  const path = join(cache, "results", namespace, `${await cacheKey(key)}.json`);
  if (Deno.env.get("SHARELOCK_NO_MEMO") !== "1") {
    const hit = await readJsonOr<{ value: T } | null>(path, null);
    if (hit) return hit.value;
  }
  const value = await compute();
  await writeJsonAtomic(path, { key, value });
  return value;
}
