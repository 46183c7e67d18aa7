/**
 * The Deno kernel's display API (undefined outside a notebook) and HTML escaping for rich output.
 *
 * @example
 * ```ts
 * const name = "<ShareLock>";
 * const j = jupyter();
 * if (j) await j.display({ "text/html": `<b>${escapeHtml(name)}</b>` }, { raw: true });
 * ```
 */
import { readSetting } from "./env.ts";

/** The part of `Deno.jupyter` used here. */
// deno-lint-ignore no-explicit-any
export type Jupyter = { display(obj: unknown, opts: { raw: boolean; update?: boolean; display_id?: string }): Promise<any> };

/** The Deno kernel's display API, or undefined outside a notebook. */
export function jupyter(): Jupyter | undefined {
  try {
    return (Deno as unknown as { jupyter?: Jupyter }).jupyter;
  } catch {
    return undefined; // the getter throws outside `deno jupyter`
  }
}

/**
 * Milliseconds {@link settleOutput} waits. The Deno kernel (2.9) publishes what a cell displays or prints
 * from a queue that its kernel thread drains while the cell runs, and it answers the cell (execute_reply,
 * then `idle`) as soon as the cell's code returns, without waiting for that queue; each message is
 * stamped with the request that is current when it leaves the queue. A message still queued when the
 * next request starts goes out as that request's (the classic Notebook's Run All shows it under the next
 * cell; an `update_display_data` there finds no display and is dropped); one that leaves after `idle`
 * but before the next request keeps its own cell (the classic Notebook still shows it; front ends that
 * stop listening at `idle` lose it). Waiting here, before the cell ends, lets the queue drain while the
 * kernel still waits for the cell: `scripts/late_output.py` measures the difference (docs/front-ends.md).
 */
export const SETTLE_MS = 30;

/**
 * In a notebook, wait {@link SETTLE_MS} (or `SHARELOCK_SETTLE_MS`, which `scripts/late_output.py` sets to
 * compare) so that the kernel publishes what this cell has queued before the cell can end (see there);
 * outside a notebook, return at once. Display functions call it after their last message.
 */
export async function settleOutput(ms = readSetting("settleMs") ?? SETTLE_MS): Promise<void> {
  if (!jupyter() || !(ms > 0)) return;
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Escape text for HTML (also inside attribute values). Pure. */
export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}
