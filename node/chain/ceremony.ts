/**
 * The key ceremony's pure steps: a genesis built from a template and the validators' signed cards,
 * and the check a node makes before it installs a genesis (its own card must be in it, unchanged).
 * Built the same from the same cards in any order, so every department may build it and compare.
 */
import { LedgerError } from "../errors.js";
import { type NodeCard, checkCard } from "./card.js";
import { ChainSpec } from "./genesis.js";
import { type GenesisTemplate, templateConsensus } from "./template.js";
import type { Department, Genesis, ValidatorInfo } from "./types.js";

/** A card and where it came from (its file), to name it in errors. */
export interface SourcedCard {
  source: string;
  card: unknown;
}

export interface BuildGenesisOptions {
  genesisTime: number;
  /** Overrides the template's chain name. */
  chainName?: string;
}

/**
 * Genesis from a template and validator cards. Every card is checked (shape, signature); refused with
 * a CONFIG error naming the card: a follower card (followers are not in genesis), a department the
 * template does not have, a consensus key, peer id, address or name already on another card, an
 * issuer key on a card of another department (the same key on two cards of one department counts
 * once). Validators are ordered by the template's department order, then by name, then by key.
 */
export function buildGenesis(template: GenesisTemplate, cards: readonly SourcedCard[], options: BuildGenesisOptions): Genesis {
  if (cards.length === 0) throw new LedgerError("CONFIG", "no validator cards: genesis needs at least one");
  const departmentIndex = new Map(template.departments.map((d, i) => [d.id, i]));
  const checked: Array<{ source: string; card: NodeCard }> = [];
  const seen = new Map<string, { source: string; department: string }>();
  for (const { source, card: raw } of cards) {
    const card = checkCard(raw, source);
    const fail = (msg: string): never => {
      throw new LedgerError("CONFIG", `card ${source}: ${msg}`);
    };
    if (card.role !== "validator") fail("a follower card; followers are not in genesis (a validator admits them with certchain node admit)");
    if (!departmentIndex.has(card.department)) {
      fail(`department "${card.department}" is not in the template (it has ${template.departments.map((d) => d.id).join(", ")})`);
    }
    const claim = (what: string, value: string): void => {
      const other = seen.get(`${what}:${value}`);
      if (other !== undefined) fail(`its ${what} ${value.length > 24 ? `${value.slice(0, 16)}…` : value} is already on card ${other.source}`);
      seen.set(`${what}:${value}`, { source, department: card.department });
    };
    claim("name", card.name);
    claim("peer id", card.peerId);
    claim("address", card.address);
    claim("key", card.consensusKey as string);
    for (const key of card.issuerKeys) {
      const other = seen.get(`key:${key}`);
      if (other !== undefined && other.department === card.department && seen.has(`issuer:${key}`)) continue;
      if (other !== undefined) {
        fail(`issuer key ${key.slice(0, 16)}… is already on card ${other.source} of department ${other.department}`);
      }
      seen.set(`key:${key}`, { source, department: card.department });
      seen.set(`issuer:${key}`, { source, department: card.department });
    }
    checked.push({ source, card });
  }
  checked.sort((a, b) => {
    const byDepartment = (departmentIndex.get(a.card.department) as number) - (departmentIndex.get(b.card.department) as number);
    if (byDepartment !== 0) return byDepartment;
    const byName = compareNames(a.card.name, b.card.name);
    return byName !== 0 ? byName : compareStrings(a.card.consensusKey as string, b.card.consensusKey as string);
  });
  const validators: ValidatorInfo[] = checked.map(({ card }) => ({
    name: card.name,
    department: card.department,
    publicKey: card.consensusKey as string,
    peerId: card.peerId,
    address: card.address,
  }));
  const departments: Department[] = template.departments.map((d) => {
    const issuerKeys: string[] = [];
    for (const { card } of checked) {
      if (card.department === d.id) for (const k of card.issuerKeys) if (!issuerKeys.includes(k)) issuerKeys.push(k);
    }
    return { id: d.id, name: d.name, issuerKeys, certificateTypes: d.certificateTypes };
  });
  const genesis: Genesis = {
    chainName: options.chainName ?? template.chainName,
    genesisTime: options.genesisTime,
    validators,
    departments,
    certificateTypes: template.certificateTypes,
    consensus: templateConsensus(template),
  };
  if (template.reviewRules !== undefined) genesis.reviewRules = template.reviewRules;
  new ChainSpec(genesis); // the same checks every node makes when it loads the file
  return genesis;
}

/**
 * Why `card` does not fit `spec`, or null: a validator's card must be in genesis as it is (consensus
 * key, peer id, address, name, department, and its issuer keys in its department); a follower must not
 * hold a validator's peer id.
 */
export function cardInGenesisProblem(spec: ChainSpec, card: NodeCard): string | null {
  const byPeer = spec.validators.find((v) => v.peerId === card.peerId);
  if (card.role === "follower") return byPeer === undefined ? null : `peer id ${card.peerId} is validator ${byPeer.name}'s in this genesis`;
  const index = spec.validatorSetAt(1).indexOf(card.consensusKey as string);
  if (index < 0) return `this node's consensus key ${(card.consensusKey as string).slice(0, 16)}… is not a validator in this genesis`;
  const v = spec.validators[index] as ValidatorInfo;
  const differs = (["name", "department", "peerId", "address"] as const).filter((k) => v[k] !== card[k]);
  if (differs.length > 0) return `validator ${v.name} in this genesis differs from this node's card in ${differs.join(", ")}`;
  const missing = card.issuerKeys.filter((k) => spec.departmentOfIssuerKey(k) !== card.department);
  if (missing.length > 0)
    return `issuer key ${(missing[0] as string).slice(0, 16)}… of this node's card is not a ${card.department} issuer key in this genesis`;
  return null;
}

/** Names in "natural" order (node2 before node10), the same on every machine (no locale). */
export function compareNames(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    const numeric = /^\d/.test(x) && /^\d/.test(y);
    const c = numeric ? compareStrings(x.padStart(y.length, "0"), y.padStart(x.length, "0")) : compareStrings(x, y);
    if (c !== 0) return c;
  }
  return pa.length - pb.length || compareStrings(a, b);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
