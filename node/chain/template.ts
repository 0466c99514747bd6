/**
 * Genesis templates: everything a genesis holds that is not a node's — chain name, departments
 * (id, names, allowed types), certificate types, review rules and consensus parameters. Departments
 * are data: the default template is a file (templates/default.json), and an operator brings another
 * with `genesis build --template`. Issuer keys and validators come from the node cards.
 */
import { LedgerError, shownValue } from "../errors.js";
import { type ChainContent, checkChainContent, defaultConsensusParams } from "./genesis.js";
import type { CertificateType, ConsensusParams, LocalizedText, ReviewRuleSet } from "./types.js";

/** A department as a template gives it: no issuer keys (the cards bring them). */
export interface TemplateDepartment {
  id: string;
  name: LocalizedText;
  certificateTypes: string[];
}

/** What a genesis template file holds. */
export interface GenesisTemplate {
  chainName: string;
  departments: TemplateDepartment[];
  certificateTypes: CertificateType[];
  /** Automatic review rules; absent: none. */
  reviewRules?: ReviewRuleSet;
  /** Consensus parameters laid over defaultConsensusParams; absent members take the default. */
  consensus?: Partial<ConsensusParams>;
}

const TEMPLATE_KEYS = ["chainName", "departments", "certificateTypes", "reviewRules", "consensus"];
const DEPARTMENT_KEYS = ["id", "name", "certificateTypes"];
const CHAIN_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** A template's consensus parameters with the defaults filled in. */
export function templateConsensus(template: GenesisTemplate): ConsensusParams {
  return { ...defaultConsensusParams, ...template.consensus };
}

/** A checked template; a CONFIG error naming `source` and the first problem otherwise. */
export function checkTemplate(raw: unknown, source: string): GenesisTemplate {
  const fail = (msg: string): never => {
    throw new LedgerError("CONFIG", `template ${source}: ${msg}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail("not a JSON object");
  const t = raw as Record<string, unknown>;
  for (const key of Object.keys(t)) if (!TEMPLATE_KEYS.includes(key)) fail(`unknown member "${key}" (known: ${TEMPLATE_KEYS.join(", ")})`);
  if (typeof t.chainName !== "string" || !CHAIN_NAME.test(t.chainName)) fail("chainName must be 1-64 characters of a-z 0-9 -");
  if (!Array.isArray(t.departments) || t.departments.length === 0) fail("departments must be a non-empty array");
  for (const d of t.departments as unknown[]) {
    if (typeof d !== "object" || d === null || Array.isArray(d)) fail("each department must be an object");
    const extra = Object.keys(d as object).find((k) => !DEPARTMENT_KEYS.includes(k));
    if (extra !== undefined) fail(`department ${shownValue((d as { id?: unknown }).id)}: unknown member "${extra}" (issuer keys come from the cards)`);
  }
  const consensus = t.consensus ?? {};
  if (typeof consensus !== "object" || consensus === null || Array.isArray(consensus)) fail("consensus must be an object");
  const known = Object.keys(defaultConsensusParams);
  for (const [key, value] of Object.entries(consensus as object)) {
    if (!known.includes(key)) fail(`unknown consensus parameter "${key}" (known: ${known.join(", ")})`);
    if (!Number.isSafeInteger(value)) fail(`consensus.${key} must be an integer`);
  }
  const template = raw as unknown as GenesisTemplate;
  const content: ChainContent = {
    departments: template.departments.map((d) => ({ ...d, issuerKeys: [] })),
    certificateTypes: template.certificateTypes,
    consensus: templateConsensus(template),
  };
  if (template.reviewRules !== undefined) content.reviewRules = template.reviewRules;
  checkChainContent(content, fail);
  return template;
}
