/**
 * Governance actions: the shape check every node makes at the edge (stateless), and what a passed
 * action does to the chain's rules (stateful). An action is applied to the rules as they will be once
 * every change already passed is in force (the last epoch, possibly scheduled), and the result must
 * be valid rules as a whole — so a passed action never half-applies, and two passed changes cannot
 * together break the chain (e.g. two removals taking the set below 4).
 */
import { LedgerError, shownValue } from "../errors.js";
import { isPublicKeyHex } from "../crypto/keys.js";
import { cardProblem } from "./card.js";
import { checkChainContent } from "./genesis.js";
import type { ChainRules, GovAction, IssuerKeyGrant } from "./gov-types.js";
import type { ValidatorInfo } from "./types.js";

/** The fewest validators a chain may have after a removal (n = 3f + 1 with f = 1). */
export const MIN_VALIDATORS = 4;

const ACTION_KEYS: Record<GovAction["type"], string[]> = {
  "add-validator": ["card"],
  "remove-validator": ["publicKey"],
  "add-department": ["department"],
  "add-issuer-key": ["department", "publicKey"],
  "revoke-issuer-key": ["department", "publicKey"],
  "set-certificate-type": ["certificateType"],
  "adopt-review-rules": ["reviewRules"],
  "set-consensus-params": ["consensus"],
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Stateless shape check of a proposed action. Throws TX_MALFORMED, or TX_GOV_BAD_CARD for a card that does not check. */
export function checkActionShape(value: unknown): GovAction {
  const malformed = (msg: string): never => {
    throw new LedgerError("TX_MALFORMED", `action: ${msg}`);
  };
  // [REJECT] a known action type with exactly its members
  if (!isObj(value) || typeof value.type !== "string" || !Object.hasOwn(ACTION_KEYS, value.type))
    return malformed(`unknown type ${shownValue(isObj(value) ? value.type : value)}`);
  const wanted = ACTION_KEYS[value.type as GovAction["type"]];
  for (const k of Object.keys(value)) if (k !== "type" && !wanted.includes(k)) malformed(`unexpected member "${k}"`);
  for (const k of wanted) if (value[k] === undefined) malformed(`${value.type} needs ${k}`);
  const a = value as unknown as GovAction;
  switch (a.type) {
    case "add-validator": {
      // [REJECT] the card is a validator's card whose signature verifies under its consensus key
      const problem = cardProblem(a.card);
      if (problem !== null) throw new LedgerError("TX_GOV_BAD_CARD", `card: ${problem}`);
      if (a.card.role !== "validator") throw new LedgerError("TX_GOV_BAD_CARD", "card: a follower card cannot add a validator");
      break;
    }
    case "remove-validator":
    case "add-issuer-key":
    case "revoke-issuer-key":
      if (!isPublicKeyHex(a.publicKey)) malformed("publicKey must be an Ed25519 public key (hex)");
      if (a.type !== "remove-validator" && typeof a.department !== "string") malformed("department must be an id");
      break;
    case "add-department":
    case "set-certificate-type":
    case "adopt-review-rules":
    case "set-consensus-params":
      // checked whole against the rules they change (applyAction): they are parts of a genesis
      if (!isObj(value[wanted[0] as string])) malformed(`${wanted[0]} must be an object`);
      break;
  }
  return a;
}

/** The rules and issuer-key grants after an action, effective from `activation`. */
export interface ActionResult {
  rules: ChainRules;
  issuerKeys: IssuerKeyGrant[];
}

function badAction(msg: string): never {
  throw new LedgerError("TX_GOV_BAD_ACTION", msg);
}

/** Whether a key is used anywhere (issuer key ever granted, or a consensus key in force): keys are never reused. */
function keyInUse(rules: ChainRules, grants: IssuerKeyGrant[], key: string): boolean {
  return grants.some((g) => g.publicKey === key) || rules.validators.some((v) => v.publicKey === key);
}

/**
 * Apply an action to `rules` (the rules once everything passed before is in force), from height
 * `activation` on. Throws the code that refuses it; on success the result is checked whole.
 */
export function applyAction(rules: ChainRules, grants: IssuerKeyGrant[], action: GovAction, activation: number): ActionResult {
  try {
    return applyActionUnsafe(rules, grants, action, activation);
  } catch (err) {
    // Parts of an action are checked only here, whole (a department, a type, rules): whatever they
    // throw on is the action's fault, never the block's.
    if (err instanceof LedgerError) throw err;
    throw new LedgerError("TX_GOV_BAD_ACTION", `the action cannot be applied: ${(err as Error).message}`);
  }
}

function applyActionUnsafe(rules: ChainRules, grants: IssuerKeyGrant[], action: GovAction, activation: number): ActionResult {
  let next: ChainRules = { ...rules };
  let keys = grants;
  const addKeys = (department: string, publicKeys: string[]): void => {
    next.departments = next.departments.map((d) => (d.id === department ? { ...d, issuerKeys: [...d.issuerKeys, ...publicKeys] } : d));
    keys = [...keys, ...publicKeys.map((publicKey) => ({ department, publicKey, validFrom: activation }))];
  };
  switch (action.type) {
    case "add-validator": {
      const c = action.card;
      const key = c.consensusKey as string;
      // [RULE] the card's department exists; its keys are new
      if (!next.departments.some((d) => d.id === c.department)) badAction(`department ${c.department} does not exist: add it first`);
      if (next.validators.some((v) => v.publicKey === key)) badAction("this consensus key is a validator already");
      if (next.validators.some((v) => v.name === c.name)) badAction(`a validator is named ${c.name} already`);
      if (next.validators.some((v) => v.peerId === c.peerId)) badAction("a validator has this peer id already");
      for (const k of [key, ...c.issuerKeys]) if (keyInUse(rules, grants, k)) badAction(`key ${k.slice(0, 16)}… is in use already`);
      const v: ValidatorInfo = { name: c.name, department: c.department, publicKey: key, peerId: c.peerId, address: c.address };
      next.validators = [...next.validators, v];
      addKeys(c.department, c.issuerKeys);
      break;
    }
    case "remove-validator": {
      // [RULE] a validator in force, and never fewer than MIN_VALIDATORS left
      if (!next.validators.some((v) => v.publicKey === action.publicKey)) badAction("this key is not a validator");
      if (next.validators.length - 1 < MIN_VALIDATORS) {
        throw new LedgerError("TX_GOV_TOO_FEW_VALIDATORS", `removing one of ${next.validators.length} validators would leave fewer than ${MIN_VALIDATORS}`);
      }
      next.validators = next.validators.filter((v) => v.publicKey !== action.publicKey);
      break;
    }
    case "add-department": {
      const d = action.department;
      if (next.departments.some((x) => x.id === d.id)) badAction(`department ${shownValue(d.id)} exists already`);
      for (const k of Array.isArray(d.issuerKeys) ? d.issuerKeys : [])
        if (keyInUse(rules, grants, k)) badAction(`key ${String(k).slice(0, 16)}… is in use already`);
      next.departments = [...next.departments, { ...d, issuerKeys: [] }];
      addKeys(d.id, Array.isArray(d.issuerKeys) ? d.issuerKeys : []);
      break;
    }
    case "add-issuer-key": {
      if (!next.departments.some((d) => d.id === action.department)) badAction(`department ${shownValue(action.department)} does not exist`);
      if (keyInUse(rules, grants, action.publicKey)) badAction("this key is in use already (keys are never reused)");
      addKeys(action.department, [action.publicKey]);
      break;
    }
    case "revoke-issuer-key": {
      const dept = next.departments.find((d) => d.id === action.department);
      if (dept === undefined || !dept.issuerKeys.includes(action.publicKey))
        badAction(`this key is not an issuer key of ${shownValue(action.department)} in force`);
      next.departments = next.departments.map((d) =>
        d.id === action.department ? { ...d, issuerKeys: d.issuerKeys.filter((k) => k !== action.publicKey) } : d,
      );
      // Its last height is the one before the change is in force.
      keys = keys.map((g) => (g.publicKey === action.publicKey && g.validUntil === undefined ? { ...g, validUntil: activation - 1 } : g));
      break;
    }
    case "set-certificate-type": {
      const t = action.certificateType;
      const exists = next.certificateTypes.some((x) => x.id === t.id);
      next.certificateTypes = exists ? next.certificateTypes.map((x) => (x.id === t.id ? t : x)) : [...next.certificateTypes, t];
      break;
    }
    case "adopt-review-rules": {
      if (next.reviewRules !== undefined && next.reviewRules.version === action.reviewRules.version)
        badAction(`review rules version ${shownValue(action.reviewRules.version)} is in force already`);
      next.reviewRules = action.reviewRules;
      break;
    }
    case "set-consensus-params":
      next.consensus = action.consensus;
      break;
  }
  // [RULE] the rules as a whole stay valid (the genesis checks of types, rules, departments, parameters)
  const problem = rulesProblem(next);
  if (problem !== null) badAction(problem);
  next = structuredCopy(next);
  return { rules: next, issuerKeys: keys };
}

/** What is wrong with a set of rules as a whole, or null. */
export function rulesProblem(rules: ChainRules): string | null {
  try {
    checkChainContent(rules, (msg) => {
      throw new LedgerError("TX_GOV_BAD_ACTION", msg);
    });
  } catch (err) {
    if (err instanceof LedgerError) return err.message;
    return `rules cannot be checked: ${(err as Error).message}`;
  }
  return null;
}

/** A deep copy through JSON: rules are plain JSON, and an epoch must not share objects with a proposal. */
function structuredCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
