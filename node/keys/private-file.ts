/**
 * Files only their owner may read (key files, passphrase files) and the directories that hold them:
 * read with the permission check ssh makes, written whole through a temporary file and a rename.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { LedgerError } from "../errors.js";

/** Permission bits of a private file: read and write by its owner only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Permission bits of a directory holding private files. */
export const PRIVATE_DIR_MODE = 0o700;

/** "0644" for the permission bits of a mode. */
export function modeString(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, "0");
}

/** The error for a private file that group or others may read, write or run, worded as ssh words it. */
export function tooOpenError(path: string, mode: number): LedgerError {
  return new LedgerError("CONFIG", `permissions ${modeString(mode)} for ${path} are too open; chmod 600 ${path}`);
}

/** A private file's text and the permission bits it had when read. */
export interface PrivateFileText {
  text: string;
  mode: number;
}

/**
 * Read a private file. Refused, naming the file: anything but a regular file (a FIFO is not waited
 * on), and — unless `allowOpen` — a file whose group or other permission bits are set.
 */
export async function readPrivateFile(path: string, allowOpen = false): Promise<PrivateFileText> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: opening a FIFO must not hang until a writer appears; the fstat below refuses it.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new LedgerError("CONFIG", `cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    // fstat of the open file, not stat of the path: what is checked is what is read.
    const st = await handle.stat();
    if (!st.isFile()) throw new LedgerError("CONFIG", `${path} is not a regular file`);
    if (!allowOpen && (st.mode & 0o077) !== 0) throw tooOpenError(path, st.mode);
    return { text: await handle.readFile("utf8"), mode: st.mode & 0o777 };
  } finally {
    await handle.close();
  }
}

/**
 * Write `text` to `path` (mode 0600), replacing any file there in one step: a temporary file in the
 * same directory, fsync, rename over `path`, fsync of the directory. A reader sees the old file or
 * the new one, never a half-written one, and a replaced file gets the new file's mode.
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const file = await open(tmp, "wx", PRIVATE_FILE_MODE);
    try {
      // The umask may only clear bits of 0600; set them exactly anyway.
      await file.chmod(PRIVATE_FILE_MODE);
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new LedgerError("CONFIG", `cannot write ${path}: ${(err as Error).message}`);
  }
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Make `dir` (and missing parents) and set its mode to 0700, also when it already existed. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}
