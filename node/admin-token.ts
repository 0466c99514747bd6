/**
 * The admin token of a home: `<home>/admin.token`, 32 random bytes in hex (mode 0600). A node whose
 * home holds one serves `POST /admin/reload` to a client that presents it as a bearer token; without
 * the file the route is not served. `certchain node token` creates it; the node reads it at start and
 * on every reload (so a new or rotated token takes effect without a restart).
 */
import { randomBytes } from "node:crypto";
import { chmod, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LedgerError } from "./errors.js";

export const ADMIN_TOKEN_FILE = "admin.token";

const TOKEN = /^[0-9a-f]{64}$/;

/** Where a home's admin token lives. */
export function adminTokenPath(home: string): string {
  return join(home, ADMIN_TOKEN_FILE);
}

/**
 * Write a new token into `home` unless one is there (`rotate` replaces it, atomically). Returns the
 * file and whether a token was written.
 */
export async function createAdminToken(home: string, options: { rotate?: boolean } = {}): Promise<{ path: string; written: boolean }> {
  const path = adminTokenPath(home);
  const text = `${randomBytes(32).toString("hex")}\n`;
  if (options.rotate === true) {
    // A reader sees the old token or the new one, never half a file.
    const tmp = `${path}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
    return { path, written: true };
  }
  try {
    await writeFile(path, text, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return { path, written: false };
    throw new LedgerError("CONFIG", `cannot write ${path}: ${(err as Error).message}`);
  }
  return { path, written: true };
}

/**
 * The home's admin token, or null when it has none. A file that group or others may read, or that
 * does not hold 64 hex characters, is a CONFIG error naming it.
 */
export async function readAdminToken(home: string): Promise<string | null> {
  const path = adminTokenPath(home);
  let mode: number;
  let text: string;
  try {
    mode = (await stat(path)).mode;
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new LedgerError("CONFIG", `cannot read ${path}: ${(err as Error).message}`);
  }
  if ((mode & 0o077) !== 0) throw new LedgerError("CONFIG", `${path} may be read by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  const token = text.trim();
  if (!TOKEN.test(token)) throw new LedgerError("CONFIG", `${path} does not hold a token (64 hex characters); remake it with certchain node token --rotate`);
  return token;
}
