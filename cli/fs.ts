/** Small file-system checks shared by commands that create things. */
import { readdir } from "node:fs/promises";

/** True when `dir` does not exist or is empty: commands that write a chain or a store never overwrite. */
export async function isNewOrEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return true;
    throw err;
  }
}
