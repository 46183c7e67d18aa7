/**
 * Merging stores computed elsewhere (one per Slurm array task, or per machine) into one: parts are
 * copied shard first, checksum second, index last, so that the destination is consistent at every moment.
 *
 * @example
 * ```ts
 * declare const taskStores: string[], dest: string;
 * const { parts } = await mergeStores(taskStores, dest);
 * ```
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { stableJson } from "../core/hash.ts";

/**
 * Merge stores computed elsewhere (e.g. one per Slurm array task) into `dest`: copies the parts whose
 * names `dest` lacks. All stores must hold the same identity.
 */
export async function mergeStores(sources: string[], dest: string): Promise<{ parts: number }> {
  const destId = await Deno.readTextFile(join(dest, "identity.json"));
  let parts = 0;
  for (const src of sources) {
    const srcId = await Deno.readTextFile(join(src, "identity.json")).catch(() => {
      throw new Error(`${src} is not a feature store (no identity.json)`);
    });
    if (stableJson(JSON.parse(srcId)) !== stableJson(JSON.parse(destId))) {
      throw new Error(`cannot merge ${src} into ${dest}: different encoder identities`);
    }
    for (const sub of ["shards", "sums", "index", "skipped"]) {
      if (!existsSync(join(src, sub))) continue; // stores written before checksums have no sums/
      await Deno.mkdir(join(dest, sub), { recursive: true });
      for (const e of Deno.readDirSync(join(src, sub))) {
        if (e.name.endsWith(".tmp") || e.name.endsWith(".corrupt") || existsSync(join(dest, sub, e.name))) continue;
        // shards before index entries, so that the destination is consistent at every moment
        if (sub === "index") parts++;
        await Deno.copyFile(join(src, sub, e.name), join(dest, sub, `${e.name}.tmp`));
        await Deno.rename(join(dest, sub, `${e.name}.tmp`), join(dest, sub, e.name));
      }
    }
  }
  return { parts };
}
