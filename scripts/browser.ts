/**
 * Headless Debian Chromium driven by `playwright-core` (never `playwright install`: no browser
 * download), with a fresh profile and no network chatter, for the front-end test and the demo test.
 *
 * @example
 * ```ts
 * import { ensureChromium } from "./setup.ts";
 * const chrome = await ensureChromium();
 * if ("path" in chrome) {
 *   const browser = await launchChromium(chrome.path);
 *   const page = await browser.context.newPage();
 *   await page.goto("http://127.0.0.1:8888/");
 *   await browser.close();
 * }
 * ```
 */
import { chromium, type BrowserContext } from "playwright-core";

/** Chromium's flags: headless, no sandbox (CI runs as root), no GPU, no background network. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** A running browser with its own fresh profile folder. */
export interface Browser {
  context: BrowserContext;
  /** Close the browser and delete its profile. */
  close(): Promise<void>;
}

/** Launch Chromium at `executablePath` with a fresh `--user-data-dir` (a new temp folder). */
export async function launchChromium(executablePath: string, opts: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "sharelock-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: opts.viewport ?? { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
