/**
 * A department's IETF Token Status List (draft-ietf-oauth-status-list), derived from chain state:
 * entry i is the i-th certificate the department issued (its issuance index: block height, then the
 * transaction's position), 1 (INVALID) when it is revoked or superseded, 2 (SUSPENDED) when it was
 * suspended automatically (chain/suspension.ts), else 0 (VALID); 2 bits per entry. Every node at the same head
 * derives the same list. Expiry is not in the list: the credential's `exp` carries it.
 *
 * The Status List Token (a JWT, typ statuslist+jwt, EdDSA) is signed by the serving validator's
 * consensus key — a key of genesis, named by `kid` — and names the block it was derived at. A node
 * holds no department's issuer key, so it cannot sign as the issuer; a follower holds no key of
 * genesis at all and serves no token (docs/sd-jwt-vc.md).
 */
import { StatusList, createHeaderAndPayload } from "@sd-jwt/jwt-status-list";
import type { ChainSpec } from "../chain/genesis.js";
import { genesisTip } from "../chain/block.js";
import { signBytes } from "../crypto/keys.js";
import type { ChainStore } from "../ledger/store.js";
import { LedgerError } from "../errors.js";

/** The media type of a Status List Token. */
export const STATUS_LIST_MEDIA_TYPE = "application/statuslist+jwt";
/** How long a verifier may cache a token (seconds): about the time a revocation takes to commit. */
export const STATUS_LIST_TTL_SECONDS = 60;
/** Lists are padded to a multiple of this many entries (and at least one such block). */
const LIST_BLOCK = 1024;
const PAGE = 500;

/** The chain facts a token is derived from, carried in its `certchain` claim. */
export interface StatusListBasis {
  chainId: string;
  department: string;
  height: number;
  blockHash: string;
  /** How many certificates the department has issued (entries past it are padding). */
  issued: number;
}

/** Status list values (draft-ietf-oauth-status-list §7.1). */
export const STATUS_VALID = 0;
export const STATUS_INVALID = 1;
export const STATUS_SUSPENDED = 2;
/** Bits per entry: room for SUSPENDED. */
export const STATUS_BITS = 2;

/** One status per certificate `department` issued, in issuance order: 1 revoked or superseded, 2 suspended, 0 otherwise. */
export async function departmentStatuses(store: ChainStore, department: string): Promise<number[]> {
  const statuses: number[] = [];
  let after: { height: number; index: number } | undefined;
  for (;;) {
    const entries = await store.issuedBy(department, PAGE, after);
    const records = await store.getCertificates(entries.map((e) => e.certificateId));
    entries.forEach((e, i) => {
      const r = records[i];
      if (r === null || r === undefined) throw new LedgerError("STORE_CORRUPT", `issuance index names certificate ${e.certificateId}, which is not stored`);
      statuses.push(r.revoked || r.supersededBy !== undefined ? STATUS_INVALID : r.suspended === true ? STATUS_SUSPENDED : STATUS_VALID);
    });
    const last = entries[entries.length - 1];
    if (last === undefined || entries.length < PAGE) return statuses;
    after = { height: last.height, index: last.index };
  }
}

const base64url = (text: string): string => Buffer.from(text, "utf8").toString("base64url");

/** The signed Status List Token of `statuses`; `uri` is its own address (`sub`). */
export function statusListToken(
  statuses: readonly number[],
  basis: StatusListBasis,
  signer: { publicKey: string; privateKey: string },
  uri: string,
  issuedAt: number,
): string {
  const size = Math.max(LIST_BLOCK, Math.ceil(statuses.length / LIST_BLOCK) * LIST_BLOCK);
  const list = new StatusList([...statuses, ...new Array<number>(size - statuses.length).fill(STATUS_VALID)], STATUS_BITS);
  const { header, payload } = createHeaderAndPayload(
    list,
    { sub: uri, iat: Math.floor(issuedAt / 1000), ttl: STATUS_LIST_TTL_SECONDS, certchain: basis },
    { alg: "EdDSA", typ: "statuslist+jwt", kid: signer.publicKey },
  );
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = Buffer.from(signBytes(signer.privateKey, new TextEncoder().encode(signingInput)), "hex").toString("base64url");
  return `${signingInput}.${signature}`;
}

/** Builds and caches (per department, until the head moves) the tokens a validator serves. */
export class StatusListService {
  private readonly cache = new Map<string, { headHash: string; uri: string; token: string }>();

  constructor(
    private readonly spec: ChainSpec,
    private readonly store: ChainStore,
    private readonly signer: { publicKey: string; privateKey: string },
  ) {}

  /** The token of `department` at the current head, its `sub` being `uri`. */
  async token(department: string, uri: string): Promise<string> {
    let head = this.store.head() ?? genesisTip(this.spec);
    const cached = this.cache.get(department);
    if (cached !== undefined && cached.headHash === head.hash && cached.uri === uri) return cached.token;
    let statuses = await departmentStatuses(this.store, department);
    // A commit during the read may have changed state before the head: read again until the head held still.
    for (let current = this.store.head() ?? genesisTip(this.spec); current.hash !== head.hash; current = this.store.head() ?? genesisTip(this.spec)) {
      head = current;
      statuses = await departmentStatuses(this.store, department);
    }
    const basis: StatusListBasis = { chainId: this.spec.chainId, department, height: head.height, blockHash: head.hash, issued: statuses.length };
    // iat is the head block's time: the same head gives the same token on every validator but for the signature.
    const token = statusListToken(statuses, basis, this.signer, uri, head.time);
    this.cache.set(department, { headHash: head.hash, uri, token });
    return token;
  }
}
