/**
 * The resident memory of this process split by kind, from Linux's /proc/self/status: anonymous pages
 * (the JS heap, native allocations: the process's own memory, where a leak shows), file-backed pages
 * (the binary, its libraries, and LevelDB's table files read through mmap: page cache the kernel can
 * drop, growing with the part of the chain that is read) and shared memory. prom-client's
 * process_resident_memory_bytes is their sum.
 */
import { readFileSync } from "node:fs";

export interface ResidentSplit {
  anonBytes: number;
  fileBytes: number;
  shmemBytes: number;
}

const FIELDS = { RssAnon: "anonBytes", RssFile: "fileBytes", RssShmem: "shmemBytes" } as const;

/** The split in a /proc/PID/status text; null when a field is missing (not Linux, or a kernel before 4.5). */
export function parseResidentSplit(status: string): ResidentSplit | null {
  const found: Partial<ResidentSplit> = {};
  for (const line of status.split("\n")) {
    const m = /^(RssAnon|RssFile|RssShmem):\s+(\d+) kB$/.exec(line.trim());
    if (m !== null) found[FIELDS[m[1] as keyof typeof FIELDS]] = Number(m[2]) * 1024;
  }
  const { anonBytes, fileBytes, shmemBytes } = found;
  return anonBytes === undefined || fileBytes === undefined || shmemBytes === undefined ? null : { anonBytes, fileBytes, shmemBytes };
}

/** This process's split now; null where /proc/self/status has none. */
export function residentSplit(): ResidentSplit | null {
  try {
    return parseResidentSplit(readFileSync("/proc/self/status", "utf8"));
  } catch {
    return null; // no procfs: the gauges are left out
  }
}
