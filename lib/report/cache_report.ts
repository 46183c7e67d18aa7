/**
 * What a notebook run took from the cache: a small ledger the notebook creates and passes its cached
 * results through (probing runs, caption models, ASIF evaluations: anything with a `cached` flag), and
 * the line it shows, with the command that recomputes everything. When a module the process loaded has
 * changed on disk since (a kernel keeps the code it loaded), the line says so and asks for a restart.
 *
 * @example
 * ```ts
 * import { cacheLedger, cacheReport } from "./cache_report.ts";
 * const ledger = cacheLedger();
 * const run = ledger.count({ cached: true, top1: 0.4 });     // counts it and returns it unchanged
 * ledger.count({ cached: false, top1: 0.5 });
 * cacheReport(ledger, "01_zero_shot_probing");
 * // runs: 1 from the cache, 1 computed now; to recompute everything: SHARELOCK_NO_MEMO=1 deno task report 01
 * ```
 */
import { codeChangedOnDisk } from "../runtime/code_identity.ts";
import { type Displayable, displayable } from "./display.ts";

/** A result that says whether it came from the cache. */
export interface Cacheable {
  cached: boolean;
}

/** How many results came from the cache and how many were computed (trained or evaluated) now. */
export interface CacheCounts {
  fromCache: number;
  computed: number;
}

/** A notebook's own tally of its cached results (one per notebook run; no global state). */
export interface CacheLedger extends CacheCounts {
  /** Count `result` by its `cached` flag and return it unchanged, so that a call can be wrapped in place. */
  count<T extends Cacheable>(result: T): T;
}

/** A new, empty ledger. */
export function cacheLedger(): CacheLedger {
  const ledger: CacheLedger = {
    fromCache: 0,
    computed: 0,
    count(result) {
      if (result.cached) ledger.fromCache++;
      else ledger.computed++;
      return result;
    },
  };
  return ledger;
}

/** Counts of a ledger, or of a list of results. Pure. */
export function cacheCounts(of: CacheCounts | Iterable<Cacheable>): CacheCounts {
  if (!(Symbol.iterator in Object(of))) return { fromCache: (of as CacheCounts).fromCache, computed: (of as CacheCounts).computed };
  const counts = { fromCache: 0, computed: 0 };
  for (const r of of as Iterable<Cacheable>) r.cached ? counts.fromCache++ : counts.computed++;
  return counts;
}

/**
 * The line: `runs: 40 from the cache, 35 computed now; to recompute everything: SHARELOCK_NO_MEMO=1 deno
 * task report 01`, plus a restart hint naming `changedOnDisk` files when there are any. `notebook` is the
 * notebook's name (`01_zero_shot_probing`; the command uses its number). Pure.
 */
export function cacheLine(counts: CacheCounts, notebook: string, changedOnDisk: readonly string[] = []): string {
  const id = /^\d+/.exec(notebook)?.[0] ?? notebook;
  const line = `runs: ${counts.fromCache} from the cache, ${counts.computed} computed now; to recompute everything: SHARELOCK_NO_MEMO=1 deno task report ${id}`;
  if (!changedOnDisk.length) return line;
  const shown = changedOnDisk.slice(0, 5).join(", ") + (changedOnDisk.length > 5 ? ` and ${changedOnDisk.length - 5} more` : "");
  return `${line}. Changed on disk since this process loaded them: ${shown}; these results are keyed and computed with the code as loaded: restart the kernel to run the edited code`;
}

/** {@link cacheLine} for a ledger (or a list of results), as a displayable line; checks the loaded code against the disk. */
export function cacheReport(of: CacheCounts | Iterable<Cacheable>, notebook: string): Displayable {
  const line = cacheLine(cacheCounts(of), notebook, codeChangedOnDisk());
  return displayable({ "text/markdown": line.replace(/(SHARELOCK_NO_MEMO=1 deno task report [^\s;.]+)/, "`$1`"), "text/plain": line });
}
