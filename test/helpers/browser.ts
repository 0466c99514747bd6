/**
 * A headless Chromium for the verification page's browser tests. The system's when there is one
 * ($CHROMIUM_PATH, or Debian's /usr/bin/chromium); otherwise the build @sparticuz/chromium brings
 * through npm (a devDependency: a headless shell and its fonts, unpacked into the temp directory), so
 * `npm ci && npm test` needs no apt step and no browser installed by hand.
 */
import { existsSync } from "node:fs";
import { type BrowserContext, chromium } from "playwright-core";

const SYSTEM_CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--no-zygote",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where the browser comes from, for the test's title and failures. */
export async function chromiumExecutable(): Promise<{ path: string; source: string }> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== "") return { path: fromEnv, source: "$CHROMIUM_PATH" };
  if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: "the system's" };
  const bundled = (await import("@sparticuz/chromium")).default;
  return { path: await bundled.executablePath(), source: "@sparticuz/chromium from npm" };
}

/** A persistent headless context on `profile`, with the browser found above. */
export async function launchChromium(profile: string): Promise<BrowserContext> {
  const { path } = await chromiumExecutable();
  return chromium.launchPersistentContext(profile, { executablePath: path, headless: true, args: ARGS });
}
