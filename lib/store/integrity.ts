/**
 * Store integrity helpers: SHA-256 of bytes, full-disk errors, float16 decoding, and claims that let several processes
 * extract into one store at once without computing anything twice (under a file lock, `claims/`).
 *
 * @example
 * ```ts
 * import { openStore } from "./feature_store.ts";
 * const store = await openStore({ kind: "text", name: "t" }, { name: "t", dim: 2, root: await Deno.makeTempDir() });
 * const claim = await claimKeys(store, ["k1", "k2"]);   // keys nobody else is computing
 * await store.append(claim.granted.map((key) => ({ key, itemId: key, vector: Float32Array.of(1, 2) })));
 * await claim.release();
 * ```
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../runtime/atomic.ts";
import type { FeatureStore } from "./feature_store.ts";

const F16_TABLE = (() => {
  const t = new Float32Array(65536);
  t.set(new Float16Array(new Uint16Array(Array.from({ length: 65536 }, (_, i) => i)).buffer));
  return t;
})();

/** float16 bits (as stored) to float32 values, into `out` at `offset`: exact, by table. */
export function halfToFloat(bits: Uint16Array, out: Float32Array, offset = 0): Float32Array {
  for (let i = 0; i < bits.length; i++) out[offset + i] = F16_TABLE[bits[i]];
  return out;
}

/** SHA-256 of bytes, hex (synchronous, native). */
export function sha256Bytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** True when an error means the disk (or a size limit) is full. */
export function isDiskFull(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === "ENOSPC" || e?.code === "EFBIG" || e?.code === "EDQUOT" ||
    /No space left on device|os error 28|File too large|os error 27|quota exceeded|os error 122/i.test(e?.message ?? "");
}

/** Whether a temporary file's name carries the pid of a live process on this machine. */
export function writerAlive(name: string): boolean {
  const pids = [...name.matchAll(/[.-](\d+)[.-][0-9a-f]{8}/g)].map((m) => Number(m[1]));
  return pids.some((pid) => pid === Deno.pid || (Deno.build.os === "linux" && existsSync(`/proc/${pid}`)));
}

/**
 * Remove the temporary files a killed writer left in `subs` of a store (never read; not those of a live
 * process writing into the store right now: their names carry the writer's pid).
 */
export async function removeDeadTemps(dir: string, subs: string[]): Promise<void> {
  for (const sub of subs) {
    for (const e of Deno.readDirSync(join(dir, sub))) {
      if (e.name.endsWith(".tmp") && !writerAlive(e.name)) await Deno.remove(join(dir, sub, e.name)).catch(() => {});
    }
  }
}

/** Keys granted to this process, keys another live process is computing, and how to give them back. */
export interface Claim {
  granted: string[];
  waiting: string[];
  release: () => Promise<void>;
}

/**
 * Claim keys for computing, across processes: under the store's file lock, returns the keys that are
 * neither stored (after a refresh) nor claimed by a live process, and records them as this process's
 * claim; `release` it after appending. Claims of dead processes (same host, no such pid) or older than
 * `staleMs` (other hosts) are ignored and removed.
 */
export async function claimKeys(store: FeatureStore, keys: string[], staleMs = 30 * 60_000): Promise<Claim> {
  const claimsDir = join(store.dir, "claims");
  await Deno.mkdir(claimsDir, { recursive: true });
  const lock = await Deno.open(join(store.dir, "lock"), { create: true, write: true });
  const file = join(claimsDir, `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.json`);
  try {
    await lock.lock(true);
    store.refresh();
    const taken = new Set<string>();
    const host = hostname();
    for (const e of Deno.readDirSync(claimsDir)) {
      if (!e.name.endsWith(".json")) continue;
      const path = join(claimsDir, e.name);
      let c: { host: string; pid: number; time: number; keys: string[] };
      try {
        c = JSON.parse(Deno.readTextFileSync(path));
      } catch {
        continue; // being written or removed
      }
      const dead = c.host === host ? !existsSync(`/proc/${c.pid}`) && Deno.build.os === "linux" : Date.now() - c.time > staleMs;
      if (dead) {
        await Deno.remove(path).catch(() => {});
        continue;
      }
      for (const k of c.keys) taken.add(k);
    }
    const granted: string[] = [], waiting: string[] = [];
    for (const k of keys) {
      if (store.has(k)) continue;
      (taken.has(k) ? waiting : granted).push(k);
    }
    if (granted.length) await writeFileAtomic(file, JSON.stringify({ host, pid: Deno.pid, time: Date.now(), keys: granted }));
    return { granted, waiting, release: () => Deno.remove(file).catch(() => {}) };
  } finally {
    await lock.unlock().catch(() => {});
    lock.close();
  }
}

