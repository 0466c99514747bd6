/** The verification page's server side: content negotiation and escaping of every value. */
import { utcMinute } from "../../node/chain/time.js";
import assert from "node:assert/strict";
import type { VerificationResult } from "../../node/api/views.js";
import { escapeHtml, renderVerifyPage } from "../../node/rpc/page/page-html.js";
import { beijingText, zonedText } from "../../node/chain/time.js";
import { prefersHtml } from "../../node/rpc/routes/proof.js";
import { makeTestChain } from "../helpers/chain.js";

describe("verification page: Accept negotiation", () => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ["*/*", false],
    ["application/json", false],
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true],
    ["application/json, text/html;q=0.5", false],
    ["text/html;q=0.9, application/json;q=0.8", true],
    ["TEXT/HTML", true],
  ];
  for (const [accept, html] of cases) {
    it(`${JSON.stringify(accept)} → ${html ? "HTML" : "JSON"}`, () => assert.equal(prefersHtml(accept), html));
  }
});

describe("verification page: escaping", () => {
  it("escapes the five HTML metacharacters", () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("no value from the chain reaches the page unescaped", () => {
    const chain = makeTestChain();
    const hostile = `</dd><script>alert("x")</script><img src=x onerror=alert(1)>`;
    const verification = {
      valid: false,
      status: "revoked",
      reason: hostile,
      certificate: {
        record: {
          id: "BL-X-0001",
          certificateType: "business-licence",
          department: "market-regulation",
          holderCommitment: "0".repeat(64),
          documentDigest: "0".repeat(64),
          publicFields: { enterpriseName: hostile },
          validFrom: 0,
          validUntil: 1,
          revoked: true,
          revocationReason: hostile,
          history: [],
        },
        status: "revoked",
        checkedAt: 0,
        checkedAtHeight: 0,
        department: { id: "market-regulation", name: { en: hostile, zh: hostile } },
        type: { id: "business-licence", name: { en: hostile, zh: hostile } },
        issued: { height: 1, time: 0, txHash: "" },
        revoked: { height: 2, time: 0, txHash: "", reason: hostile },
      },
    } satisfies VerificationResult;
    const html = renderVerifyPage({
      certificateId: "BL-X-0001",
      verification,
      genesis: chain.spec.genesis,
      chainId: chain.spec.chainId,
      genesisHash: chain.spec.genesisHash,
      publicUrl: "https://certs.example.gov.cn",
    });
    assert.ok(!html.includes("<script>alert"), "no injected script element");
    assert.ok(!html.includes("<img"), "no injected element");
    assert.equal((html.match(/<script/g) ?? []).length, 2, "only the import map and the module script");
    assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)"), "the text is shown, escaped");
  });
});

describe("times on the page and in answers (chain/time.ts), never thrown", () => {
  const cases: Array<[number, string]> = [
    [0, "1970-01-01 00:00 UTC"],
    [1_764_577_800_000, "2025-12-01 08:30 UTC"],
    [8.7e15, "invalid time (8700000000000000)"],
    [Number.NaN, "invalid time (NaN)"],
  ];
  for (const [ms, text] of cases) {
    it(`${ms} → ${text}`, () => assert.equal(utcMinute(ms), text));
  }
});

describe("times on the page: Beijing time in Chinese, the reader's zone in English, each named (chain/time.ts)", () => {
  const t = 1_764_577_800_000; // 2025-12-01 08:30 UTC
  const cases: Array<[string, () => string, string]> = [
    ["Beijing time", () => beijingText(t), "2025-12-01 16:30 北京时间"],
    ["Beijing time across midnight", () => beijingText(Date.UTC(2026, 0, 1, 20, 0)), "2026-01-02 04:00 北京时间"],
    ["a reader in Berlin (winter)", () => zonedText(t, "Europe/Berlin"), "2025-12-01 09:30 Europe/Berlin (GMT+1)"],
    ["a reader in New York", () => zonedText(t, "America/New_York"), "2025-12-01 03:30 America/New_York (GMT-5)"],
    ["a reader in Shanghai", () => zonedText(t, "Asia/Shanghai"), "2025-12-01 16:30 Asia/Shanghai (GMT+8)"],
    ["a reader in UTC", () => zonedText(t, "UTC"), "2025-12-01 08:30 UTC"],
    ["a zone Intl does not know", () => zonedText(t, "Mars/Olympus"), "2025-12-01 08:30 UTC"],
    ["an invalid time", () => beijingText(8.7e15), "invalid time (8700000000000000)"],
    ["an invalid time in the reader's zone", () => zonedText(Number.NaN, "Europe/Berlin"), "invalid time (NaN)"],
  ];
  for (const [name, text, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(text(), expected));
  }
});
