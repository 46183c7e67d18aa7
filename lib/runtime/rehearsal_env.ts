/**
 * Whether this process is a rehearsal (`SHARELOCK_REHEARSAL=1`, set by `deno task rehearse`): the
 * paper configurations then shrink their sizes (`lib/train/rehearsal.ts`) and every config table says so.
 *
 * @example
 * ```ts
 * rehearsalFromEnv(new Map([["SHARELOCK_REHEARSAL", "1"]]));   // true
 * ```
 */
import { type EnvSource, readSetting } from "./env.ts";

/** What the config table of a rehearsal shows. */
export const REHEARSAL_NOTE = "SHARELOCK_REHEARSAL=1: stand-in models and data, sizes shrunk; the numbers are meaningless";

/** Whether `SHARELOCK_REHEARSAL` asks for a rehearsal (read through `lib/runtime/env.ts`, which rejects other values). */
export function rehearsalFromEnv(env: EnvSource = Deno.env): boolean {
  return readSetting("rehearsal", env);
}
