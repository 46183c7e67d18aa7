/**
 * The documentation's links: every relative link in README.md, CHANGELOG.md and docs/*.md points at a file
 * that exists, and every `#anchor` at a heading of its page; the README stays a short read.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { REPO_ROOT } from "../lib/runtime/paths.ts";

/** Markdown link targets of `text` (inline links and images), code spans and fenced blocks left out. */
function linkTargets(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function headingAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, "").replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

function anchorsOf(text: string): Set<string> {
  const prose = text.replace(/```[\s\S]*?```/g, "");
  return new Set([...prose.matchAll(/^#{1,6} (.+)$/gm)].map((m) => headingAnchor(m[1])));
}

function pages(): string[] {
  const docs = [...Deno.readDirSync(join(REPO_ROOT, "docs"))].filter((e) => e.isFile && e.name.endsWith(".md")).map((e) => join(REPO_ROOT, "docs", e.name));
  return [join(REPO_ROOT, "README.md"), join(REPO_ROOT, "CHANGELOG.md"), ...docs.sort()];
}

/** Broken links of one page as "page: target (why)". */
function brokenLinks(page: string): string[] {
  const text = Deno.readTextFileSync(page), bad: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const [path, anchor] = target.split("#");
    const file = path ? join(dirname(page), decodeURIComponent(path)) : page;
    let isFile = false;
    try {
      isFile = Deno.statSync(file).isFile;
      if (!isFile && !Deno.statSync(file).isDirectory) throw new Error();
    } catch {
      bad.push(`${relative(REPO_ROOT, page)}: ${target} (no such file)`);
      continue;
    }
    if (anchor && isFile && file.endsWith(".md") && !anchorsOf(Deno.readTextFileSync(file)).has(anchor)) {
      bad.push(`${relative(REPO_ROOT, page)}: ${target} (no heading #${anchor})`);
    }
  }
  return bad;
}

Deno.test("every relative link in README.md, CHANGELOG.md and docs/*.md points at an existing file and heading", () => {
  assert.deepEqual(pages().flatMap(brokenLinks), []);
});

Deno.test("the link check finds links and reports a missing file or heading", async () => {
  assert.deepEqual(linkTargets("see [a](docs/a.md#x), ![img](b.png) and `[not](c.md)`\n```\n[no](d.md)\n```"), ["docs/a.md#x", "b.png"]);
  assert.equal(headingAnchor("Your own models, data and GPU"), "your-own-models-data-and-gpu");
  assert.equal(headingAnchor("Feature extraction: `deno task extract`"), "feature-extraction-deno-task-extract");
  const dir = await Deno.makeTempDir();
  try {
    const page = join(dir, "p.md");
    await Deno.writeTextFile(join(dir, "q.md"), "# Title\n## Part one\n");
    await Deno.writeTextFile(page, "[ok](q.md#part-one) [file](missing.md) [head](q.md#part-two) [site](https://example.org/x)\n");
    assert.deepEqual(brokenLinks(page).map((b) => b.replace(/^.*?: /, "")), ["missing.md (no such file)", "q.md#part-two (no heading #part-two)"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README.md is at most 250 lines", () => {
  const lines = Deno.readTextFileSync(join(REPO_ROOT, "README.md")).split("\n").length - 1;
  assert.ok(lines <= 250, `README.md has ${lines} lines`);
});
