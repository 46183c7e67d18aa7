/**
 * Checking a store's shards: each against its length and checksum record (`sums/<part>.json`). A bad
 * shard is an error naming the file; {@link verifyStore} moves bad shards aside (`<part>.<ext>.corrupt`)
 * so that their vectors count as missing and the next extraction recomputes exactly them.
 *
 * @example
 * ```ts
 * import { openStore } from "./feature_store.ts";
 * const store = await openStore({ kind: "text", name: "t" }, { name: "t", dim: 2, root: await Deno.makeTempDir() });
 * await store.append([{ key: "a", itemId: "A", vector: Float32Array.of(1, 2) }]);
 * verifyStore(store);   // [] when every shard is whole
 * ```
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { FeatureStore } from "./feature_store.ts";
import { type PartSum, sha256Bytes } from "./integrity.ts";

/**
 * What is wrong with a part's shard bytes, or null when they are whole: the length must cover every
 * indexed row and match the checksum record, and the SHA-256 must match. Stores written before
 * checksums existed are checked for length only.
 */
export function checkPart(store: FeatureStore, part: string, bytes: Uint8Array): string | null {
  const need = store.partRows(part) * store.dim * store.bytesPerValue;
  let sum: PartSum | undefined;
  try {
    sum = JSON.parse(readFileSync(join(store.dir, "sums", `${part}.json`), "utf8")) as PartSum;
  } catch { /* no checksum record (older store) */ }
  if (bytes.byteLength < need || (sum && bytes.byteLength !== sum.bytes)) {
    return `truncated: ${bytes.byteLength} bytes, expected ${sum?.bytes ?? need}`;
  }
  if (sum && sha256Bytes(bytes) !== sum.sha256) return "checksum mismatch (SHA-256 differs: the bytes were altered)";
  return null;
}

/** The error for a bad part: names the shard file and what to do. */
export function corruptError(store: FeatureStore, part: string, problem: string): Error {
  return new Error(
    `feature store ${basename(store.dir)}: shard ${join("shards", basename(store.shardPath(part)))} is corrupt (${problem}); ` +
      `it holds ${store.partRows(part)} vectors. Run the extraction again: it moves the shard aside and recomputes them`,
  );
}

/** Read a part's bytes, checked once per store object (throws {@link corruptError} on a bad shard). */
export function readPart(store: FeatureStore, part: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(store.shardPath(part));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw corruptError(store, part, "the shard file is missing");
    throw err;
  }
  if (!store.verified.has(part)) {
    const problem = checkPart(store, part, bytes);
    if (problem) throw corruptError(store, part, problem);
    store.verified.add(part);
  }
  return bytes;
}

/**
 * Check the shards holding `keys` (default: every part) and move bad ones aside (`.corrupt`), so that
 * their vectors count as missing and the next extraction recomputes them. Returns what was found.
 * Parts already checked by this store object are not read again.
 */
export function verifyStore(store: FeatureStore, keys?: Iterable<string>): { part: string; problem: string }[] {
  const bad: { part: string; problem: string }[] = [];
  for (const part of store.parts(keys)) {
    if (store.verified.has(part)) continue;
    let problem: string | null;
    try {
      problem = checkPart(store, part, Deno.readFileSync(store.shardPath(part)));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      problem = "the shard file is missing";
    }
    if (!problem) {
      store.verified.add(part);
      continue;
    }
    bad.push({ part, problem });
    try {
      Deno.renameSync(store.shardPath(part), `${store.shardPath(part)}.corrupt`);
    } catch { /* already moved by another process */ }
    try {
      Deno.removeSync(join(store.dir, "sums", `${part}.json`));
    } catch { /* none */ }
  }
  if (bad.length) store.dropParts(new Set(bad.map((b) => b.part)));
  return bad;
}
