/**
 * Which slice of the work this process does, when extraction is split over a scheduler's tasks:
 * `--shard i/n` on the command line, else the scheduler's environment:
 * - Slurm job arrays: `SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT` (or MIN/MAX);
 * - Kubernetes indexed jobs: `JOB_COMPLETION_INDEX` with `SHARELOCK_SHARD_COUNT` (set it to `completions`);
 * - anything else: `SHARELOCK_SHARD_INDEX` with `SHARELOCK_SHARD_COUNT`.
 * Items are assigned by a hash of their key, so the split does not depend on item order.
 *
 * @example
 * ```ts
 * const keys = ["a1", "b2", "c3"];
 * const shard = shardFromArgs(Deno.args) ?? shardFromEnv(Deno.env.toObject()) ?? WHOLE;
 * const mine = keys.filter((k) => inShard(k, shard));
 * ```
 */
import { hashSeed } from "../runtime/random.ts";

/** Slice `index` of `count` (0-based). */
export interface Shard {
  index: number;
  count: number;
}

/** The whole job in one slice. */
export const WHOLE: Shard = { index: 0, count: 1 };

/** Parse "i/n" (0 <= i < n). */
export function parseShard(text: string): Shard {
  const m = text.trim().match(/^(\d+)\/(\d+)$/);
  if (!m) throw new Error(`shard "${text}" is not of the form i/n (e.g. 0/4)`);
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  if (shard.count < 1 || shard.index >= shard.count) throw new Error(`shard "${text}": need 0 <= i < n`);
  return shard;
}

/** `--shard i/n` or `--shard=i/n` from arguments, if present. */
export function shardFromArgs(args: string[]): Shard | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--shard") return parseShard(args[i + 1] ?? "");
    if (args[i].startsWith("--shard=")) return parseShard(args[i].slice(8));
  }
  return undefined;
}

/** The shard a scheduler gives this process, if any. */
export function shardFromEnv(env: Record<string, string | undefined>): Shard | undefined {
  const num = (k: string) => (env[k] !== undefined && env[k] !== "" ? Number(env[k]) : undefined);
  const slurmId = num("SLURM_ARRAY_TASK_ID");
  if (slurmId !== undefined) {
    const min = num("SLURM_ARRAY_TASK_MIN") ?? 0;
    const count = num("SLURM_ARRAY_TASK_COUNT") ?? ((num("SLURM_ARRAY_TASK_MAX") ?? slurmId) - min + 1);
    return parseShard(`${slurmId - min}/${count}`);
  }
  const k8s = num("JOB_COMPLETION_INDEX");
  if (k8s !== undefined) {
    const count = num("SHARELOCK_SHARD_COUNT");
    if (count === undefined) throw new Error("JOB_COMPLETION_INDEX is set but SHARELOCK_SHARD_COUNT is not: set it to the job's completions");
    return parseShard(`${k8s}/${count}`);
  }
  const idx = num("SHARELOCK_SHARD_INDEX");
  if (idx !== undefined) return parseShard(`${idx}/${num("SHARELOCK_SHARD_COUNT") ?? 1}`);
  return undefined;
}

/** Whether a key belongs to a shard. Pure. */
export function inShard(key: string, shard: Shard): boolean {
  return shard.count === 1 || hashSeed(key) % shard.count === shard.index;
}
