/// <reference lib="dom" />
/**
 * The verification page's script, run in the browser as an ES module: fetches the certificate's
 * proof bundle and re-checks it with the same verifier as `cert verify --offline` (verify.ts), shows
 * whether that agrees with the node's answer, and checks a document file or an SD-JWT VC presentation
 * (sd-jwt.ts) the holder picks — all locally, nothing uploaded. Writes text only (textContent), never HTML.
 */
import type { Genesis } from "../../chain/types.js";
import type { ProofBundle } from "../../chain/proof/bundle.js";
import { documentMismatchProven } from "../../chain/proof/document.js";
import { type ProvenAbsence, type ProvenCertificate, verifyServedAbsence, verifyServedBundle } from "../../chain/proof/verify.js";
import { LedgerError } from "../../errors.js";
import { ChainSpec } from "../../chain/genesis.js";
import { checkPresentation, checkStatusListToken, statusEntry } from "../../chain/sd-jwt.js";
import { beijingText, zonedText } from "../../chain/time.js";
import { describeAge, freshnessOf } from "../../chain/freshness.js";

/** The reader's time zone (IANA name), as the browser reports it. */
const READER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

const STATUS: Record<string, [string, string]> = {
  valid: ["有效", "valid"],
  revoked: ["已撤销", "revoked"],
  superseded: ["已被取代", "superseded"],
  suspended: ["已暂停", "suspended"],
  expired: ["已过期", "expired"],
  "not-yet-valid": ["尚未生效", "not yet valid"],
};

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  // invariant: page-html.ts renders every element page.ts looks up
  if (el === null) throw new Error(`page lacks #${id}`);
  return el as T;
}

/** Set a section's state and its result line (zh, then en). */
function show(section: HTMLElement, line: HTMLElement, state: string, zh: string, en: string): void {
  section.dataset.state = state;
  line.textContent = "";
  const strong = document.createElement("strong");
  strong.textContent = zh;
  const span = document.createElement("span");
  span.lang = "en";
  span.textContent = ` ${en}`;
  line.append(strong, span);
}

/** A time as the server renders it (page-html.ts when()), with the English part in the reader's zone. */
function timeElement(ms: number): HTMLElement {
  const time = document.createElement("time");
  time.dateTime = new Date(ms).toISOString();
  const reader = document.createElement("span");
  reader.lang = "en";
  reader.className = "reader-time";
  reader.textContent = zonedText(ms, READER_ZONE);
  time.append(`${beijingText(ms)} `, reader);
  return time;
}

/** Rewrite the server-rendered English times (UTC) into the reader's own time zone. */
function localizeTimes(): void {
  for (const time of document.querySelectorAll<HTMLElement>("time[data-ms]")) {
    const reader = time.querySelector(".reader-time");
    if (reader !== null) reader.textContent = zonedText(Number(time.dataset.ms), READER_ZONE);
  }
}

function addFact(list: HTMLElement, zh: string, en: string, value: string | Array<string | Node>): void {
  const row = document.createElement("div");
  row.className = "fact";
  const dt = document.createElement("dt");
  dt.textContent = `${zh} `;
  const span = document.createElement("span");
  span.lang = "en";
  span.textContent = en;
  dt.append(span);
  const dd = document.createElement("dd");
  if (typeof value === "string") dd.textContent = value;
  else dd.append(...value);
  row.append(dt, dd);
  list.append(row);
}

/** The certificate's proof bundle; for an unknown id (`absence`) the node answers 404 with a proof of absence. */
async function fetchBundle(id: string, absence = false): Promise<unknown> {
  const res = await fetch(`/certificates/${encodeURIComponent(id)}/proof`, { headers: { accept: "application/json" }, cache: "no-store" });
  if (!res.ok && !(absence && res.status === 404)) throw new LedgerError("BAD_ANSWER", `the node answered ${res.status} for the proof`);
  return res.json();
}

/** A bundle without events: what the node serves for an id it does not know (docs/proof-format.md §7). */
const isAbsenceBundle = (bundle: unknown): boolean =>
  Array.isArray((bundle as { events?: unknown } | null)?.events) && (bundle as { events: unknown[] }).events.length === 0;

function describeAbsence(list: HTMLElement, a: ProvenAbsence, consensus: Genesis["consensus"]): void {
  addFact(list, "证明的状态", "Proven status", "链上无此证书 · not on the chain");
  addFact(list, "截至区块", "As of block", [`${a.asOf.height} · `, timeElement(a.asOf.time)]);
  const f = freshnessOf(consensus, a.asOf, Date.now());
  addFact(
    list,
    "区块时长",
    "Age of that block",
    f.stale ? `⚠ ${describeAge(f.ageMs)} — 证明可能遗漏之后的签发 · later issues may be missing` : describeAge(f.ageMs),
  );
  addFact(list, "共识签名", "Commit seals", `≥ ${a.quorum} validators`);
  addFact(list, "创世哈希", "Genesis hash", a.genesisHash);
}

/**
 * The node says it knows no certificate `id`: check its proof of absence (the newest block's state root
 * holds no such id). A bundle with events instead proves the certificate exists: the node's answer is wrong.
 */
async function checkAbsence(root: HTMLElement, id: string): Promise<void> {
  const section = byId("proof-check");
  const line = byId("proof-result");
  let bundle: unknown;
  try {
    bundle = await fetchBundle(id, true);
    if (!isAbsenceBundle(bundle)) {
      const proven = verifyServedBundle(bundle, root.dataset.chainId, id);
      describeProven(byId("proof-details"), proven, (bundle as ProofBundle).genesis.consensus);
      const [zh, en] = STATUS[proven.status] ?? [proven.status, proven.status];
      show(
        section,
        line,
        "differs",
        `证明核验通过，但证明该证书存在（${zh}），与节点答复不同。`,
        `Proof verified, but it shows the certificate ${en} as of block ${proven.asOf.height} while the node says it does not exist.`,
      );
      return;
    }
    const absent = verifyServedAbsence(bundle, root.dataset.chainId, id);
    describeAbsence(byId("proof-details"), absent, (bundle as ProofBundle).genesis.consensus);
    show(
      section,
      line,
      "ok",
      `✔ 区块链证明核验通过：截至区块 ${absent.asOf.height}，链上没有此证书。`,
      `Proof of absence verified in your browser: the chain holds no certificate ${id} as of block ${absent.asOf.height}.`,
    );
  } catch (err) {
    show(section, line, "failed", "✘ 浏览器内核验未通过：", `The in-browser check failed: ${(err as Error).message}`);
  }
}

function describeProven(list: HTMLElement, p: ProvenCertificate, consensus: Genesis["consensus"]): void {
  const [zh, en] = STATUS[p.status] ?? [p.status, p.status];
  addFact(list, "证明的状态", "Proven status", `${zh} · ${en}`);
  addFact(list, "截至区块", "As of block", [`${p.asOf.height} · `, timeElement(p.asOf.time)]);
  // How old that block is by the reader's clock; stale beyond what a live chain's heartbeat allows.
  const f = freshnessOf(consensus, p.asOf, Date.now());
  addFact(
    list,
    "区块时长",
    "Age of that block",
    f.stale
      ? `⚠ ${describeAge(f.ageMs)} — 已超过正常链的 ${describeAge(f.staleAfterMs)}，证明可能遗漏之后的变更 · older than the ${describeAge(f.staleAfterMs)} a live chain allows: later changes may be missing`
      : `${describeAge(f.ageMs)}`,
  );
  addFact(list, "签发交易", "Issue transaction", `${p.issued.txHash} (block ${p.issued.height})`);
  if (p.revoked !== undefined) addFact(list, "撤销交易", "Revocation", `${p.revoked.txHash} (block ${p.revoked.height}) · ${p.revoked.reason}`);
  if (p.superseded !== undefined) addFact(list, "换发交易", "Renewal", `${p.superseded.by}: ${p.superseded.txHash} (block ${p.superseded.height})`);
  if (p.suspended !== undefined)
    addFact(list, "暂停交易", "Suspension", `${p.suspended.basis} revoked (rule ${p.suspended.rule}): ${p.suspended.txHash} (block ${p.suspended.height})`);
  addFact(list, "共识签名", "Commit seals", `≥ ${p.quorum} validators per block`);
  if (p.governanceChanges !== undefined) {
    addFact(list, "治理变更", "Governance changes", `${p.governanceChanges} · 自创世起逐一验证 · each checked from genesis`);
  }
  addFact(list, "创世哈希", "Genesis hash", p.genesisHash);
}

function watchDocument(genesis: Genesis, proven: ProvenCertificate): void {
  const input = byId<HTMLInputElement>("document-file");
  const section = byId("document-check");
  const line = byId("document-result");
  input.disabled = false;
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (file === undefined) return;
    let doc: unknown;
    try {
      doc = JSON.parse(await file.text());
    } catch {
      show(section, line, "failed", "✘ 不是证书文件（JSON）。", "Not a certificate document (JSON).");
      return;
    }
    const mismatch = documentMismatchProven(genesis, proven, doc);
    if (mismatch !== null) {
      show(section, line, "failed", "✘ 文件与链上记录不符：", `The document does not match the record: ${mismatch}`);
      return;
    }
    const valid = proven.status === "valid";
    show(
      section,
      line,
      valid ? "ok" : "differs",
      valid ? "✔ 文件与链上记录一致，证书有效。" : "文件与链上记录一致，但证书当前无效。",
      valid ? "The document matches the record and the certificate is valid." : `The document matches the record, but the certificate is ${proven.status}.`,
    );
  });
}

/** zlib inflate of a status list, by the browser's DecompressionStream ("deflate" is the zlib format). */
async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The status list entry of a checked presentation, from this node's list of its department; null when it serves none. */
async function statusOf(spec: ChainSpec, department: string, idx: number): Promise<{ value: number; height: number } | null> {
  const res = await fetch(`/status-lists/${encodeURIComponent(department)}`, { headers: { accept: "application/statuslist+jwt" }, cache: "no-store" });
  if (res.status === 404) return null;
  if (!res.ok) throw new LedgerError("BAD_ANSWER", `the node answered ${res.status} for the status list`);
  const list = checkStatusListToken(spec, await res.text(), department);
  if (!list.ok) throw new LedgerError("PROOF_INVALID", list.reason);
  const value = statusEntry(await inflate(list.compressed), list.bits, idx);
  if (value === null) throw new LedgerError("PROOF_INVALID", `the status list has no entry ${idx}`);
  return { value, height: list.height };
}

/** Check an SD-JWT VC presentation the holder picks: signature against genesis, disclosures, validity, status list. */
function watchPresentation(genesis: Genesis, id: string): void {
  const spec = new ChainSpec(genesis);
  const input = byId<HTMLInputElement>("sd-jwt-file");
  const section = byId("sd-jwt-check");
  const line = byId("sd-jwt-result");
  const details = byId("sd-jwt-details");
  input.disabled = false;
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (file === undefined) return;
    details.textContent = "";
    const checked = checkPresentation(spec, await file.text(), Date.now());
    if (!checked.ok) {
      show(section, line, "failed", "✘ 凭证核验未通过：", `The credential is refused: ${checked.reason}`);
      return;
    }
    if (checked.certificateId !== id) {
      show(section, line, "failed", "✘ 这是另一份证书的凭证。", `This is a credential of ${checked.certificateId}, not ${id}.`);
      return;
    }
    for (const [path, value] of Object.entries(checked.disclosed)) addFact(details, "出示的信息", path, String(value));
    let status: { value: number; height: number } | null;
    try {
      status = await statusOf(spec, checked.department, checked.status.idx);
    } catch (err) {
      show(section, line, "failed", "✘ 状态列表核验未通过：", `The status list is refused: ${(err as Error).message}`);
      return;
    }
    if (status === null) {
      show(
        section,
        line,
        "differs",
        "凭证签名有效，但本节点不提供状态列表。",
        "The credential's signature holds, but this node serves no status list (ask a validator).",
      );
    } else if (status.value === 2) {
      show(
        section,
        line,
        "failed",
        "✘ 凭证签名有效，但证书已被自动暂停（其审核依据的证书已被撤销）。",
        `The signature holds, but the certificate is suspended: a certificate its approval rested on was revoked (status list at block ${status.height}).`,
      );
    } else if (status.value !== 0) {
      show(
        section,
        line,
        "failed",
        "✘ 凭证签名有效，但证书已撤销或被取代。",
        `The signature holds, but the certificate is revoked or superseded (status list at block ${status.height}).`,
      );
    } else {
      show(
        section,
        line,
        "ok",
        "✔ 凭证核验通过：签发部门签名有效，证书未撤销。",
        `Credential verified: signed by ${checked.department}, not revoked (status list at block ${status.height}).`,
      );
    }
  });
}

async function main(): Promise<void> {
  localizeTimes();
  const root = byId("verify");
  const id = root.dataset.certificateId ?? "";
  const nodeStatus = root.dataset.nodeStatus ?? "unknown";
  if (nodeStatus === "unknown") return checkAbsence(root, id);
  const section = byId("proof-check");
  const line = byId("proof-result");
  let proven: ProvenCertificate;
  let bundle: ProofBundle;
  try {
    bundle = (await fetchBundle(id)) as ProofBundle;
    proven = verifyServedBundle(bundle, root.dataset.chainId, id);
  } catch (err) {
    show(section, line, "failed", "✘ 浏览器内核验未通过：", `The in-browser check failed: ${(err as Error).message}`);
    return;
  }
  describeProven(byId("proof-details"), proven, bundle.genesis.consensus);
  const [zh, en] = STATUS[proven.status] ?? [proven.status, proven.status];
  if (proven.status === nodeStatus) {
    show(section, line, "ok", `✔ 区块链证明核验通过，与节点答复一致：${zh}。`, `Proof verified in your browser; it agrees with the node: ${en}.`);
  } else {
    show(
      section,
      line,
      "differs",
      `证明核验通过，但证明的状态（${zh}）与节点答复不同。`,
      `Proof verified, but it shows ${en} as of block ${proven.asOf.height} while the node says ${nodeStatus}.`,
    );
  }
  watchDocument(bundle.genesis, proven);
  watchPresentation(bundle.genesis, id);
}

main().catch((err: unknown) => {
  const line = document.getElementById("proof-result");
  if (line !== null) line.textContent = `✘ ${(err as Error).message}`;
});
