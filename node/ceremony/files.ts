/** Small file helpers of the ceremony: JSON files named in errors, writes that never leave half a file. */
import { access, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { LedgerError } from "../errors.js";

/** Parse a JSON file; a CONFIG error naming `what` and the file otherwise. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new LedgerError("CONFIG", `${what} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new LedgerError("CONFIG", `${what} ${path}: not JSON (${(err as Error).message})`);
  }
}

/** Write `text` to `path` through a temporary file and a rename: readers see the old file or the new one. */
export async function writeFileAtomic(path: string, text: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text, { mode, flag: "wx" });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/** True when `dir` does not exist or is empty. */
export async function isNewOrEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return true;
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") return false;
    throw err;
  }
}
