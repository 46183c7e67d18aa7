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

/** Escape text for HTML (also inside attribute values). Pure. */
export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}
