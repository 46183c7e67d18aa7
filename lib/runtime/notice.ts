/**
 * A one-line notice for long work (what a grid will do, what it did): shown under the running cell in a
 * notebook (where the headless runner relays it to the terminal as its own line), written to stderr in a
 * terminal or a log.
 *
 * @example
 * ```ts
 * import { notice } from "./notice.ts";
 * await notice("probing runs: 75 in the grid, 60 cached, 15 to train", { sink: "silent" });
 * ```
 */
import { escapeHtml, jupyter, settleOutput } from "./jupyter.ts";
import type { ProgressSink } from "./progress.ts";

/** The notebook bundle of a notice (the runner recognises the `sharelock-notice` class). Pure. */
export function noticeBundle(text: string): Record<string, string> {
  return { "text/html": `<div class="sharelock-notice" style="font-family:monospace;font-size:12px">${escapeHtml(text)}</div>`, "text/plain": text };
}

/** Show `text` where progress would go (`sink`, default "auto": the notebook, else stderr). */
export async function notice(text: string, opts: { sink?: ProgressSink; write?: (text: string) => void } = {}): Promise<void> {
  const sink = opts.sink ?? "auto";
  if (sink === "silent") return;
  const j = sink === "auto" || sink === "notebook" ? jupyter() : undefined;
  if (j) {
    await j.display(noticeBundle(text), { raw: true });
    await settleOutput();
    return;
  }
  const write = opts.write ?? ((t: string) => Deno.stderr.writeSync(new TextEncoder().encode(t)));
  write(text + "\n");
}
