/**
 * Cache the JSON result of an expensive computation under `<cache>/results/<namespace>/<hash>.json`,
 * keyed by {@link cacheKey} over everything that determines it (encoder identities, class texts,
 * templates, configs, and the identity of the code that computes it: the caller passes them all; see
 * `codeIdentity` in `code_identity.ts`). Written atomically, so an interrupted run leaves no half result;
 * a stored file is used only when it holds exactly the key asked for (a damaged or foreign file is
 * recomputed and replaced). `SHARELOCK_NO_MEMO=1` recomputes everything.
 *
 * @example
 * ```ts
 * import { memoJson, memoResult } from "./memo.ts";
 * const r = await memoJson("squares", { n: 12, v: 1 }, () => Promise.resolve(12 * 12));
 * const { value, cached } = await memoResult("squares", { n: 12, v: 1 }, () => Promise.resolve(12 * 12));
 * ```
 */
import { join } from "node:path";
import { projectPaths } from "./paths.ts";
import { readSetting } from "./env.ts";
import { writeJsonAtomic } from "./atomic.ts";
import { cacheKey, stableJson } from "../core/hash.ts";

/** A memoized value and whether it came from the cache (`false`: computed now). */
export interface Memoized<T> {
  value: T;
  cached: boolean;
}

/** Whether stored results may be served: not when `SHARELOCK_NO_MEMO` is `1` (recompute everything). */
export function memoEnabled(env: Pick<typeof Deno.env, "get"> = Deno.env): boolean {
  return !readSetting("noMemo", env);
}

/** The stored value for `key` when the file holds exactly that key, else null (missing, damaged, other key). */
async function storedValue<T>(path: string, key: unknown): Promise<{ value: T } | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new Error(`cached result ${path} cannot be read: ${(err as Error).message}`);
  }
  try {
    const hit = JSON.parse(text) as { key?: unknown; value?: T };
    return hit && "value" in hit && stableJson(hit.key) === stableJson(JSON.parse(JSON.stringify(key))) ? { value: hit.value as T } : null;
  } catch {
    return null;
  }
}

/** Return the cached value for `key` (with `cached: true`), or compute, store and return it (`cached: false`). */
export async function memoResult<T>(namespace: string, key: unknown, compute: () => Promise<T>, cache = projectPaths().cache): Promise<Memoized<T>> {
  const path = join(cache, "results", namespace, `${await cacheKey(key)}.json`);
  if (memoEnabled()) {
    const hit = await storedValue<T>(path, key);
    if (hit) return { value: hit.value, cached: true };
  }
  const value = await compute();
  await writeJsonAtomic(path, { key, value });
  return { value, cached: false };
}

/** {@link memoResult}'s value only. */
export async function memoJson<T>(namespace: string, key: unknown, compute: () => Promise<T>, cache = projectPaths().cache): Promise<T> {
  return (await memoResult(namespace, key, compute, cache)).value;
}
