/**
 * Whether this process is a rehearsal (`SHARELOCK_REHEARSAL=1`, set by `deno task rehearse`): the
 * paper configurations then shrink their sizes (`lib/train/rehearsal.ts`) and every config table says so.
 *
 * @example
 * ```ts
 * rehearsalFromEnv(new Map([["SHARELOCK_REHEARSAL", "1"]]));   // true
 * ```
 */

/** What the config table of a rehearsal shows. */
export const REHEARSAL_NOTE = "SHARELOCK_REHEARSAL=1: stand-in models and data, sizes shrunk; the numbers are meaningless";

/** Whether `SHARELOCK_REHEARSAL` asks for a rehearsal; throws on a value other than "1", "0" or empty. */
export function rehearsalFromEnv(env: { get(key: string): string | undefined } = Deno.env): boolean {
  const raw = env.get("SHARELOCK_REHEARSAL") ?? "";
  if (!["", "0", "1"].includes(raw)) throw new Error(`SHARELOCK_REHEARSAL=${raw}: expected 1 (rehearsal sizes) or 0 / unset`);
  return raw === "1";
}
