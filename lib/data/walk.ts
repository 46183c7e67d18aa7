/** Recursive file listing, sorted, for dataset loaders. */
import { join, relative } from "node:path";

/** Files below `root` whose names pass `keep`, as paths relative to `root`, sorted. */
export function listFiles(root: string, keep: (name: string) => boolean = () => true): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) visit(p);
      else if (e.isFile && keep(e.name)) out.push(relative(root, p));
    }
  };
  visit(root);
  return out.sort();
}

/** Throw a clear error when a dataset folder is missing. */
export function requireDir(path: string, what: string, howToGet: string): void {
  try {
    if (Deno.statSync(path).isDirectory) return;
  } catch { /* fall through */ }
  throw new Error(`${what} not found at ${path}. ${howToGet}`);
}
