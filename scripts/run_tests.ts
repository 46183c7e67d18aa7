/**
 * `deno task test [deno test args...]`: set up what the tests need, run `deno test -A` over `tests/`
 * and any `*_test.ts` beside the lib code, and end with the line `N passed, N failed` (`, N skipped`).
 * Exit status is deno test's.
 */
import { join } from "node:path";
import { ensureEnvironment, SetupError } from "./setup.ts";
import { projectPaths } from "../lib/runtime/paths.ts";
import { checkEnvOrExit } from "./check_env.ts";

/** Counts from a JUnit XML report as `deno test --junit-path` writes it. */
export function junitCounts(xml: string): { passed: number; failed: number; skipped: number } {
  const cases = [...xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)];
  let failed = 0, skipped = 0;
  for (const c of cases) {
    const body = c[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
  }
  return { passed: cases.length - failed - skipped, failed, skipped };
}

async function main(): Promise<number> {
  const paths = projectPaths();
  try {
    await ensureEnvironment({ softwareGpu: true });
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    console.error(`\nSet-up stopped: ${err.message}`);
    console.log("0 passed, 1 failed");
    return 1;
  }
  const junit = join(paths.cache, "test-results.xml");
  await Deno.remove(junit).catch(() => {});
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--junit-path", junit, ...Deno.args],
    cwd: paths.root,
  }).spawn().status;
  let counts = { passed: 0, failed: status.success ? 0 : 1, skipped: 0 };
  try {
    counts = junitCounts(await Deno.readTextFile(junit));
    if (!status.success && counts.failed === 0) counts.failed = 1; // e.g. a type error before any test ran
  } catch { /* no report: deno test did not start; counted as one failure above */ }
  console.log(`${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ""}`);
  return status.code;
}

if (import.meta.main) {
  checkEnvOrExit("test");
  Deno.exit(await main());
}
