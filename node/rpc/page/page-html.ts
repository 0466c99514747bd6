/**
 * The citizen-facing verification page (GET /verify/:id with Accept: text/html), rendered on the
 * node: the public facts in Chinese and English, the node's answer, and the slots the in-browser
 * check (page.ts) fills in. Every value is HTML-escaped; the only inline script is the import map,
 * allowed by its hash in the Content-Security-Policy.
 */
import { createHash } from "node:crypto";
import QRCode from "qrcode";
import type { Genesis, LocalizedText, PublicFieldValue } from "../../chain/types.js";
import type { VerificationResult } from "../../api/views.js";
import { isoSecond, utcMinute } from "../../chain/time.js";
import { beijingText } from "../../chain/time.js";
import { describeAge } from "../../chain/freshness.js";
import { verificationLink } from "../../api/links.js";

/** Where the page's static files are served. */
export const ASSETS_PATH = "/verify-assets";

/** The page's entry module, under dist/. */
export const PAGE_ENTRY = "node/rpc/page/page.js";

/**
 * The crypto primitives' Node bindings (node:crypto) and the browser twins the page loads in their
 * place (@noble): every other module the page runs is the node's own.
 */
export const BROWSER_BINDINGS: ReadonlyMap<string, string> = new Map([
  ["node/crypto/sha256.js", "node/crypto/sha256-browser.js"],
  ["node/crypto/keys.js", "node/crypto/keys-browser.js"],
]);

const IMPORT_MAP = JSON.stringify({
  imports: {
    "@noble/curves/": `${ASSETS_PATH}/noble/curves/`,
    "@noble/hashes/": `${ASSETS_PATH}/noble/hashes/`,
    ...Object.fromEntries([...BROWSER_BINDINGS].map(([node, browser]) => [`${ASSETS_PATH}/app/${node}`, `${ASSETS_PATH}/app/${browser}`])),
  },
});

/** The page's Content-Security-Policy: own origin only, no inline code but the import map. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${createHash("sha256").update(IMPORT_MAP).digest("base64")}'`,
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** HTML-escape text for element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const STATUS_TEXT: Record<string, LocalizedText> = {
  valid: { zh: "有效", en: "Valid" },
  revoked: { zh: "已撤销", en: "Revoked" },
  superseded: { zh: "已被换发证书取代", en: "Superseded by a renewal" },
  suspended: { zh: "已暂停：审核依据的证书已被撤销", en: "Suspended: a certificate its approval rested on was revoked" },
  expired: { zh: "已过期", en: "Expired" },
  "not-yet-valid": { zh: "尚未生效", en: "Not yet valid" },
  unknown: { zh: "未找到该证书", en: "Certificate not found" },
};

const both = (t: LocalizedText): string => `${escapeHtml(t.zh)} <span lang="en">${escapeHtml(t.en)}</span>`;
/**
 * A time: Beijing time in the Chinese text, and in the English text UTC, which the page's script
 * replaces with the reader's own zone (chain/time.ts). Never throws: a stored record may hold any number.
 */
function when(ms: number): string {
  const data = Number.isSafeInteger(ms) ? ` datetime="${escapeHtml(isoSecond(ms))}" data-ms="${escapeHtml(ms)}"` : "";
  return `<time${data}>${escapeHtml(beijingText(ms))} <span lang="en" class="reader-time">${escapeHtml(utcMinute(ms))}</span></time>`;
}

/** The verification link as an inline SVG QR code (for the printed page; no image request, no script). */
export function qrSvg(text: string): string {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const quiet = 4;
  const size = modules.size + 2 * quiet;
  let path = "";
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) path += `M${col + quiet} ${row + quiet}h1v1h-1z`;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges" role="img" aria-label="QR"><rect width="${size}" height="${size}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`;
}

function fact(label: LocalizedText, value: string): string {
  return `<div class="fact"><dt>${both(label)}</dt><dd>${value}</dd></div>`;
}

/** When the node's answer was true: its newest block, how old, and a warning when that is stale. */
function freshnessLine(c: VerificationResult["certificate"]): string {
  const f = c?.freshness;
  if (c === undefined || f === undefined) return "";
  const line = `<p class="freshness" data-stale="${f.stale}">截至区块 <span lang="en">as of block</span> ${escapeHtml(f.newestBlockHeight)} · ${when(f.newestBlockTime)} · ${escapeHtml(describeAge(f.ageMs))} 前 <span lang="en">ago</span></p>`;
  if (!f.stale) return line;
  return `${line}
  <p class="stale-warning" role="alert">⚠ 最新区块已过久，答复可能遗漏之后的变更（撤销、过期）。 <span lang="en">Warning: ${escapeHtml(c.warning ?? "the newest block is stale")}</span></p>`;
}

/** What the page needs to render. */
export interface VerifyPageInput {
  certificateId: string;
  verification: VerificationResult;
  genesis: Genesis;
  chainId: string;
  genesisHash: string;
  /** The node's public URL (rpc.publicUrl or its listen address): the page's own link is built on it. */
  publicUrl: string;
}

/** The whole HTML document for one certificate id (known or not). */
export function renderVerifyPage(input: VerifyPageInput): string {
  const v = input.verification;
  const c = v.certificate;
  const status = c === undefined ? "unknown" : v.status;
  const statusText = STATUS_TEXT[status] ?? { zh: status, en: status };
  const link = verificationLink(input.publicUrl, input.certificateId);
  const facts: string[] = [];
  if (c !== undefined) {
    const type = input.genesis.certificateTypes.find((t) => t.id === c.type.id);
    facts.push(fact({ zh: "证书类型", en: "Type" }, both(c.type.name)));
    facts.push(fact({ zh: "发证部门", en: "Issued by" }, both(c.department.name)));
    facts.push(fact({ zh: "有效期", en: "Validity" }, `${when(c.record.validFrom)} — ${when(c.record.validUntil)}`));
    facts.push(fact({ zh: "签发", en: "Issued" }, `区块 <span lang="en">block</span> ${escapeHtml(c.issued.height)} · ${when(c.issued.time)}`));
    if (c.revoked !== undefined) {
      facts.push(
        fact(
          { zh: "撤销", en: "Revoked" },
          `区块 <span lang="en">block</span> ${escapeHtml(c.revoked.height)} · ${when(c.revoked.time)} · ${escapeHtml(c.revoked.reason)}`,
        ),
      );
    }
    if (c.superseded !== undefined) {
      facts.push(
        fact(
          { zh: "换发", en: "Superseded by" },
          `${escapeHtml(c.superseded.by)} · 区块 <span lang="en">block</span> ${escapeHtml(c.superseded.height)} · ${when(c.superseded.time)}`,
        ),
      );
    }
    if (c.suspended !== undefined) {
      facts.push(
        fact(
          { zh: "暂停", en: "Suspended" },
          `<span data-suspended-basis="${escapeHtml(c.suspended.basis)}">${escapeHtml(c.suspended.basis)}</span> · ${escapeHtml(c.suspended.rule)} · 区块 <span lang="en">block</span> ${escapeHtml(c.suspended.height)} · ${when(c.suspended.time)} · ${escapeHtml(c.suspended.txHash)}`,
        ),
      );
    }
    if (c.record.supersedes !== undefined) facts.push(fact({ zh: "换发自", en: "Renews" }, escapeHtml(c.record.supersedes)));
    for (const b of c.basis ?? []) {
      const s = STATUS_TEXT[b.status] ?? { zh: b.status, en: b.status };
      const typeName = input.genesis.certificateTypes.find((t) => t.id === b.certificateType)?.name ?? { zh: b.certificateType, en: b.certificateType };
      facts.push(
        fact(
          { zh: "审核依据", en: "Approved on" },
          `${escapeHtml(b.id)} · ${both(typeName)} · <span class="basis basis-${escapeHtml(b.status)}" data-basis-status="${escapeHtml(b.status)}">${both(s)}</span>`,
        ),
      );
    }
    if (c.basisRevoked === true)
      facts.push(
        fact(
          { zh: "注意", en: "Note" },
          `<span class="basis-revoked">${both({ zh: "审核依据的证书已被撤销", en: "basis revoked: a certificate this approval rested on was revoked or suspended" })}</span>`,
        ),
      );
    for (const [name, value] of Object.entries(c.record.publicFields as Record<string, PublicFieldValue>)) {
      const label = type?.fields.find((f) => f.name === name)?.label ?? { zh: name, en: name };
      facts.push(fact(label, escapeHtml(value)));
    }
  }
  // For an unknown id too: the page checks the node's proof of absence (docs/proof-format.md §7).
  const proofCheck = `<section id="proof-check" class="check" data-state="pending" aria-live="polite">
  <h2>浏览器内独立核验 <span lang="en">Independent check in your browser</span></h2>
  <p id="proof-result">正在核验区块链证明… <span lang="en">Checking the blockchain proof…</span></p>
  <dl id="proof-details" class="facts"></dl>
</section>`;
  const proofSection =
    c === undefined
      ? proofCheck
      : `${proofCheck}
<section id="document-check" class="check" data-state="idle">
  <h2>核对证书文件 <span lang="en">Check a certificate document</span></h2>
  <p class="hint">文件只在您的浏览器中核对，不会上传。<span lang="en">The file is checked in your browser and never uploaded.</span></p>
  <label class="file" for="document-file">选择证书文件 <span lang="en">Choose the document (JSON)</span></label>
  <input type="file" id="document-file" accept="application/json,.json" disabled>
  <p id="document-result" aria-live="polite"></p>
</section>
<section id="sd-jwt-check" class="check" data-state="idle">
  <h2>核对数字凭证 <span lang="en">Check a wallet credential (SD-JWT VC)</span></h2>
  <p class="hint">凭证只在您的浏览器中核对，不会上传；只显示持有人选择出示的信息。<span lang="en">Checked in your browser, never uploaded; only what the holder chose to disclose is shown.</span></p>
  <label class="file" for="sd-jwt-file">选择凭证文件 <span lang="en">Choose the presentation (.sd-jwt)</span></label>
  <input type="file" id="sd-jwt-file" accept=".sd-jwt,application/dc+sd-jwt,text/plain" disabled>
  <p id="sd-jwt-result" aria-live="polite"></p>
  <dl id="sd-jwt-details" class="facts"></dl>
</section>`;
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>证书核验 Certificate verification · ${escapeHtml(input.certificateId)}</title>
<link rel="canonical" href="${escapeHtml(link)}">
<link rel="stylesheet" href="${ASSETS_PATH}/page.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="${ASSETS_PATH}/app/${PAGE_ENTRY}"></script>
</head>
<body>
<main id="verify" data-certificate-id="${escapeHtml(input.certificateId)}" data-node-status="${escapeHtml(status)}" data-chain-id="${escapeHtml(input.chainId)}">
<header>
  <h1>证书核验 <span lang="en">Certificate verification</span></h1>
  <p class="id">${escapeHtml(input.certificateId)}</p>
</header>
<section id="node-status" class="status status-${escapeHtml(status)}" data-status="${escapeHtml(status)}">
  <p class="verdict">${both(statusText)}</p>
  <p class="reason" lang="en">${escapeHtml(v.reason)}</p>
${freshnessLine(c)}
  <p class="source">本节点的答复 <span lang="en">This node's answer</span></p>
</section>
${facts.length > 0 ? `<dl class="facts">${facts.join("")}</dl>` : ""}
${proofSection}
<section class="print-only print-link">
  <div class="qr">${qrSvg(link)}</div>
  <p>扫码或打开链接核验本证书 <span lang="en">Scan the code or open the link to verify this certificate</span><br><code>${escapeHtml(link)}</code></p>
</section>
<footer>
  <p>链 <span lang="en">Chain</span> <code>${escapeHtml(input.chainId)}</code></p>
  <p>创世哈希 <span lang="en">Genesis hash</span> <code>${escapeHtml(input.genesisHash)}</code></p>
  <p>核验链接 <span lang="en">Verification link</span> <a id="verification-link" href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>
</footer>
</main>
</body>
</html>
`;
}
