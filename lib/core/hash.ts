/**
 * Hashing for cache keys: stable JSON (sorted keys), SHA-256, and {@link cacheKey}, the ONE function
 * every memo and store uses to name a result by everything that determines it. Imports nothing.
 *
 * @example
 * ```ts
 * import { cacheKey } from "./hash.ts";
 * const key = await cacheKey({ v: 1, text: { name: "use-lite", version: "1" }, templates: ["a {}."], seed: 0 });
 * key.length;   // 24 hex characters
 * ```
 */
import { createHash } from "node:crypto";

/**
 * SHA-256 of a string (UTF-8), hex. Computed synchronously (node:crypto): hundreds of thousands of
 * concurrent `crypto.subtle.digest` calls (one key per item of a CC3M-sized extraction) take minutes.
 */
export function sha256Hex(text: string): Promise<string> {
  return Promise.resolve(sha256HexSync(text));
}

/** SHA-256 of bytes (or of a string as UTF-8), hex, synchronously. */
export function sha256HexSync(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Stable JSON (sorted keys) so that equal identities hash equally; `undefined` fields are left out. Pure. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The cache key of a result: the first `length` hex digits of SHA-256 over the stable JSON of its inputs.
 * Pass everything that changes the result: encoder IDENTITIES (not just names), class texts, templates,
 * data identities, seeds and configs. Functions and progress sinks must not be part of `inputs`.
 */
export async function cacheKey(inputs: unknown, length = 24): Promise<string> {
  return (await sha256Hex(stableJson(inputs))).slice(0, length);
}
