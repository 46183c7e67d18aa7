/**
 * Every `@example` in lib/ and scripts/ type-checks (`deno check --doc`): examples are code a reader
 * copies, so they must name real functions with the right arguments.
 */
import assert from "node:assert/strict";

Deno.test("every @example in lib/ and scripts/ type-checks", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), { args: ["check", "--doc", "lib/", "scripts/"], cwd: root, stdout: "piped", stderr: "piped" }).output();
  // deno-lint-ignore no-control-regex
  const text = new TextDecoder().decode(out.stderr).replace(/\x1b\[[0-9;]*m/g, "");
  const errors = text.split("\n").filter((l) => /ERROR|^\s+at file:/.test(l));
  assert.ok(out.success, `deno check --doc failed:\n${errors.slice(0, 40).join("\n")}`);
});
