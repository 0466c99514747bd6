/**
 * Reading a genesis template file: the file side of chain/template.ts. The default template,
 * templates/default.json at the repository's root, holds the mission's four departments, four
 * certificate types and review rules.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type GenesisTemplate, checkTemplate } from "../chain/template.js";
import { LedgerError } from "../errors.js";

/** templates/default.json at the repository root (this file runs as dist/node/ledger/template-file.js). */
export const DEFAULT_TEMPLATE_FILE = fileURLToPath(new URL("../../../templates/default.json", import.meta.url));

/** Read and check a template file (the default template when `path` is undefined). */
export async function loadTemplate(path: string = DEFAULT_TEMPLATE_FILE): Promise<GenesisTemplate> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new LedgerError("CONFIG", `cannot read template ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseTemplate(text, path);
}

/** The default template, read synchronously (test fixtures build chains at import time). */
export function loadDefaultTemplateSync(): GenesisTemplate {
  return parseTemplate(readFileSync(DEFAULT_TEMPLATE_FILE, "utf8"), DEFAULT_TEMPLATE_FILE);
}

function parseTemplate(text: string, path: string): GenesisTemplate {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LedgerError("CONFIG", `template ${path}: not JSON (${(err as Error).message})`);
  }
  return checkTemplate(raw, path);
}
