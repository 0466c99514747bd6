/**
 * A certificate's SD-JWT VC presentation checked against genesis with the pure modules only, so the
 * verification page can check one in the browser (docs/sd-jwt-vc.md). The CLI and the tests check
 * with the @sd-jwt libraries; a unit test keeps this check in agreement with them. Reading a status
 * list's bits needs zlib inflate, which the caller does (DecompressionStream in the page).
 */
import { bytesToHex, utf8Bytes, utf8Text } from "../crypto/bytes.js";
import { verifyBytes } from "../crypto/keys.js";
import { sha256 } from "../crypto/sha256.js";
import type { ChainSpec } from "./genesis.js";

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Bytes of unpadded base64url; throws on any other character. */
export function base64urlBytes(text: string): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    const v = B64URL.indexOf(ch);
    if (v < 0) throw new Error("not base64url");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** Unpadded base64url of bytes. */
export function bytesToBase64url(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += B64URL[(acc >> bits) & 63];
    }
    acc &= 0xff;
  }
  if (bits > 0) out += B64URL[(acc << (6 - bits)) & 63];
  return out;
}

type Json = Record<string, unknown>;

function jsonOf(part: string): Json {
  const v = JSON.parse(utf8Text(base64urlBytes(part))) as unknown;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not a JSON object");
  return v as Json;
}

/** The header and payload of a compact JWS, and whether `publicKey` (hex) signed it with EdDSA. */
function readJws(jws: string): { header: Json; payload: Json; signedBy: (publicKey: string) => boolean } {
  const [h = "", p = "", s = ""] = jws.split(".");
  const header = jsonOf(h);
  const payload = jsonOf(p);
  const signature = bytesToHex(base64urlBytes(s));
  return { header, payload, signedBy: (key) => header.alg === "EdDSA" && verifyBytes(key, utf8Bytes(`${h}.${p}`), signature) };
}

/** What a presentation proves, or why it proves nothing. */
export type PresentationCheck =
  | {
      ok: true;
      certificateId: string;
      certificateType: string;
      department: string;
      validFrom: number;
      validUntil: number;
      status: { idx: number; uri: string };
      /** Disclosed claims by path: holder.name, fields.city, … */
      disclosed: Record<string, unknown>;
    }
  | { ok: false; reason: string };

const GROUPS = ["holder", "fields", "links"] as const;

/**
 * Check a presentation (`jwt~disclosure~…~`, no key binding) of a certchain SD-JWT VC against genesis
 * at time `now` (ms): the issuer key (`kid`) is an issuer key of the department it names and signed
 * it; every disclosure is a [salt, name, value] whose SHA-256 is among the `_sd` digests of holder,
 * fields or links; now lies in [nbf, exp).
 */
export function checkPresentation(spec: ChainSpec, presentation: string, now: number): PresentationCheck {
  const fail = (reason: string): PresentationCheck => ({ ok: false, reason });
  const parts = presentation.trim().split("~");
  if (parts.length < 2 || parts[parts.length - 1] !== "") return fail("not an SD-JWT presentation without key binding (jwt~disclosures~)");
  let jws: ReturnType<typeof readJws>;
  try {
    jws = readJws(parts[0] as string);
  } catch {
    return fail("the issuer-signed JWT is malformed");
  }
  const { header, payload } = jws;
  if (header.typ !== "dc+sd-jwt") return fail(`typ is ${String(header.typ)}, not dc+sd-jwt`);
  const department = typeof payload.department === "string" ? spec.department(payload.department) : undefined;
  if (department === undefined) return fail("it names no department of this chain");
  if (payload.chain_id !== spec.chainId) return fail(`it is of chain ${String(payload.chain_id)}, not ${spec.chainId}`);
  if (typeof header.kid !== "string" || !department.issuerKeys.includes(header.kid)) return fail(`its key is no issuer key of ${department.id} in genesis`);
  if (!jws.signedBy(header.kid)) return fail("the issuer's signature does not verify");
  if (payload._sd_alg !== "sha-256") return fail("its digests are not sha-256");

  const disclosed: Record<string, unknown> = {};
  for (const [i, d] of parts.slice(1, -1).entries()) {
    const digest = bytesToBase64url(sha256(utf8Bytes(d)));
    const group = GROUPS.find((g) => {
      const sd = (payload[g] as { _sd?: unknown } | undefined)?._sd;
      return Array.isArray(sd) && sd.includes(digest);
    });
    if (group === undefined) return fail(`disclosure ${i + 1} is referenced by no digest of the credential (tampered?)`);
    let triple: unknown;
    try {
      triple = JSON.parse(utf8Text(base64urlBytes(d)));
    } catch {
      return fail(`disclosure ${i + 1} is malformed`);
    }
    if (!Array.isArray(triple) || triple.length !== 3 || typeof triple[1] !== "string") return fail(`disclosure ${i + 1} is not [salt, name, value]`);
    disclosed[`${group}.${triple[1]}`] = triple[2];
  }
  const nbf = payload.nbf;
  const exp = payload.exp;
  if (typeof nbf !== "number" || typeof exp !== "number") return fail("it has no validity period");
  if (now < nbf * 1000) return fail("it is not valid yet");
  if (now >= exp * 1000) return fail("it has expired");
  const ref = (payload.status as { status_list?: { idx?: unknown; uri?: unknown } } | undefined)?.status_list;
  if (typeof ref?.idx !== "number" || typeof ref.uri !== "string") return fail("it names no status list entry");
  const vct = String(payload.vct);
  return {
    ok: true,
    certificateId: String(payload.certificate_id),
    certificateType: vct.slice(vct.lastIndexOf(":") + 1),
    department: department.id,
    validFrom: nbf * 1000,
    validUntil: exp * 1000,
    status: { idx: ref.idx, uri: ref.uri },
    disclosed,
  };
}

/** A Status List Token checked against genesis: its compressed list, or why it is refused. */
export type StatusListCheck = { ok: true; bits: number; compressed: Uint8Array; height: number } | { ok: false; reason: string };

/** Check a Status List Token: typ statuslist+jwt, of this chain and `department`, signed by a validator of genesis. */
export function checkStatusListToken(spec: ChainSpec, token: string, department: string): StatusListCheck {
  let jws: ReturnType<typeof readJws>;
  try {
    jws = readJws(token.trim());
  } catch {
    return { ok: false, reason: "the status list token is malformed" };
  }
  const { header, payload } = jws;
  const basis = payload.certchain as { chainId?: unknown; department?: unknown; height?: unknown } | undefined;
  const list = payload.status_list as { bits?: unknown; lst?: unknown } | undefined;
  if (header.typ !== "statuslist+jwt") return { ok: false, reason: "not a status list token" };
  if (basis?.chainId !== spec.chainId || basis.department !== department) return { ok: false, reason: `not ${department}'s status list of this chain` };
  if (typeof header.kid !== "string" || !spec.validators.some((v) => v.publicKey === header.kid))
    return { ok: false, reason: "the status list is not signed by a validator of genesis" };
  if (!jws.signedBy(header.kid)) return { ok: false, reason: "the status list's signature does not verify" };
  if (typeof list?.lst !== "string" || (list.bits !== 1 && list.bits !== 2 && list.bits !== 4 && list.bits !== 8))
    return { ok: false, reason: "the status list is malformed" };
  return { ok: true, bits: list.bits, compressed: base64urlBytes(list.lst), height: Number(basis.height) };
}

/** Entry `idx` of an inflated status list of `bits` bits per entry (least significant bits first), or null past its end. */
export function statusEntry(list: Uint8Array, bits: number, idx: number): number | null {
  const perByte = 8 / bits;
  const byte = list[Math.floor(idx / perByte)];
  if (byte === undefined) return null;
  return (byte >> ((idx % perByte) * bits)) & ((1 << bits) - 1);
}
