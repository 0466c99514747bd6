/**
 * `cert verify --sd-jwt FILE`: an SD-JWT VC presentation checked by the @sd-jwt libraries against
 * genesis — the issuer's signature (an issuer key of the department it names), every disclosure's
 * digest, nbf/exp, and its status: the department's Status List Token, signed by a validator of
 * genesis, entry `idx` (docs/sd-jwt-vc.md).
 */
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { digest } from "@sd-jwt/crypto-nodejs";
import type { ChainSpec } from "../../../node/chain/genesis.js";
import { EXIT } from "../../../node/errors.js";
import type { ExitCode } from "../../errors.js";
import { isoDate } from "../../format.js";
import { issuerVerifier, signingInputParts, statusListVerifier } from "./sd-jwt-vc.js";

/** What the check found. */
export interface SdJwtVerdict {
  valid: boolean;
  line: string;
  exitCode: ExitCode;
  /** The claims the presentation discloses, by path (holder.name, fields.city, …). */
  disclosed: Record<string, unknown>;
  /** The status list entry and the block the list was derived at, when it was read. */
  status?: { idx: number; value: number; height: number; validator: string };
}

/** Every digest an `_sd` array (or a `{"...": digest}` array element) holds, anywhere in `value`. */
function referencedDigests(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencedDigests(v, into);
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if ((k === "_sd" && Array.isArray(v)) || k === "...") {
        for (const d of [v].flat()) if (typeof d === "string") into.add(d);
      } else referencedDigests(v, into);
    }
  }
  return into;
}

/**
 * Why a presentation carries a disclosure that nothing references (a tampered or foreign one), or
 * null. RFC 9901 §7.1 says to reject it; the @sd-jwt libraries skip such a disclosure silently.
 */
export function unreferencedDisclosure(presentation: string): string | null {
  const [jwt = "", ...rest] = presentation.split("~");
  const disclosures = rest.slice(0, -1).filter((d) => d !== "");
  let referenced: Set<string>;
  try {
    referenced = referencedDigests(signingInputParts(jwt).payload, new Set());
    for (const d of disclosures) referencedDigests(JSON.parse(Buffer.from(d, "base64url").toString("utf8")) as unknown, referenced);
  } catch {
    return "a disclosure is not base64url JSON";
  }
  const at = disclosures.findIndex((d) => !referenced.has(Buffer.from(digest(d, "sha-256")).toString("base64url")));
  return at < 0 ? null : `disclosure ${at + 1} is referenced by no digest of the credential (tampered or from another credential)`;
}

/** The disclosable claims present in a verified payload, flattened to group.name. */
function disclosedClaims(payload: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const group of ["holder", "fields", "links"]) {
    const g = payload[group];
    if (typeof g !== "object" || g === null) continue;
    for (const [name, value] of Object.entries(g)) if (name !== "_sd") out[`${group}.${name}`] = value;
  }
  return out;
}

/**
 * Check `presentation` against `spec`; `fetchStatusList(uri)` fetches the Status List Token the
 * credential names; `now` in ms.
 */
export async function verifySdJwtPresentation(
  presentation: string,
  spec: ChainSpec,
  fetchStatusList: (uri: string) => Promise<string>,
  now: number,
): Promise<SdJwtVerdict> {
  let listBasis: { height: number; validator: string } | undefined;
  let statusValue: number | undefined;
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    verifier: issuerVerifier(spec),
    statusVerifier: statusListVerifier(spec),
    statusListFetcher: async (uri) => {
      const token = await fetchStatusList(uri);
      const { header, payload } = signingInputParts(token.split(".").slice(0, 2).join("."));
      const basis = payload.certchain as { department?: unknown; height?: unknown } | undefined;
      // [REFUSE] a list of another department than the credential's uri names
      if (basis?.department !== uri.split("/").pop()) throw new Error(`the status list at ${uri} is ${String(basis?.department)}'s`);
      listBasis = { height: Number(basis?.height), validator: String(header.kid) };
      return token;
    },
    statusValidator: async (status) => {
      statusValue = status;
    },
  });
  const stray = unreferencedDisclosure(presentation);
  if (stray !== null) return { valid: false, line: `NOT VALID: ${stray}`, exitCode: EXIT.INVALID, disclosed: {} };
  let payload: Record<string, unknown>;
  try {
    payload = (await sdjwt.verify(presentation, { currentDate: Math.floor(now / 1000) })).payload as Record<string, unknown>;
  } catch (err) {
    return { valid: false, line: `NOT VALID: ${(err as Error).message}`, exitCode: EXIT.INVALID, disclosed: {} };
  }
  const disclosed = disclosedClaims(payload);
  const id = String(payload.certificate_id);
  const ref = (payload.status as { status_list?: { idx?: number } } | undefined)?.status_list;
  const status =
    ref?.idx !== undefined && statusValue !== undefined && listBasis !== undefined ? { idx: ref.idx, value: statusValue, ...listBasis } : undefined;
  if (status === undefined) return { valid: false, line: `NOT VALID: ${id} names no status list`, exitCode: EXIT.INVALID, disclosed };
  if (status.value !== 0) {
    // 2 SUSPENDED (chain/suspension.ts); 1 INVALID, and any other value, is not valid either
    const what = status.value === 2 ? "suspended" : "revoked or superseded";
    return {
      valid: false,
      line: `NOT VALID: ${id} is ${what} (status list entry ${status.idx} is ${status.value} at block ${status.height})`,
      exitCode: EXIT.INVALID,
      disclosed,
      status,
    };
  }
  const type = String(payload.vct).split(":").pop() ?? "";
  const until = typeof payload.exp === "number" ? isoDate(payload.exp * 1000) : "?";
  return {
    valid: true,
    line: `VALID: ${id} ${type} issued by ${String(payload.department)}, valid until ${until} (status list at block ${status.height})`,
    exitCode: EXIT.OK,
    disclosed,
    status,
  };
}
