/**
 * The HTML verification page in a real browser: Chromium (the system's, or @sparticuz/chromium's from
 * npm: test/helpers/browser.ts) driven by playwright-core, against
 * the RPC server over a committed proof chain. The page's script re-checks the proof bundle in the
 * browser; a tampered bundle (intercepted with a playwright route) must make that check fail, and a
 * picked document file is checked locally. No CSP violation or script error is tolerated.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser.js";
import { createRpcServer } from "../../node/rpc/server.js";
import { type ProofChain, makeProofChain } from "../helpers/proof-chain.js";
import { StoreBackend } from "../helpers/store-backend.js";
import { StatusListService } from "../../node/rpc/status-list.js";
import { issueCredential, presentCredential } from "../../cli/commands/cert/sd-jwt-vc.js";
import type { CertificateDocument } from "../../node/chain/document.js";
import { INDEPENDENT_FINDINGS } from "../helpers/proof-forgeries.js";
import { buildProofBundle } from "../../node/ledger/proof-build.js";
import { type GovProofChain, makeGovProofChain } from "../helpers/gov-proof-chain.js";

describe("e2e: the verification page in Chromium", () => {
  let pc: ProofChain;
  let app: FastifyInstance;
  let base: string;
  let profile: string;
  let browser: BrowserContext;
  let problems: string[];

  before(async () => {
    pc = await makeProofChain("page-chain");
    const head = pc.store.head()?.time as number;
    // The node's clock at the newest block: its answer and the proof's "as of" status agree.
    // A validator's backend: it also serves the departments' status lists, signed by validator 1.
    const lists = new StatusListService(pc.chain.spec, pc.store, pc.chain.validatorKeys[0] as { publicKey: string; privateKey: string });
    const backend = Object.assign(new StoreBackend(pc.chain.spec, pc.store, () => head), {
      statusListToken: (department: string, uri: string) => lists.token(department, uri),
    });
    app = createRpcServer({}, { backend });
    await app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    profile = await mkdtemp(join(tmpdir(), "certchain-chromium-"));
    browser = await launchChromium(profile);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
  });

  /** Open the page of `id` and wait until the in-browser check has an answer. */
  async function open(id: string, setup?: (page: Page) => Promise<void>): Promise<Page> {
    const page = await browser.newPage();
    problems = [];
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error" && !/favicon/.test(msg.location().url)) problems.push(`console: ${msg.text()}`);
    });
    await setup?.(page);
    const res = await page.goto(`${base}/verify/${encodeURIComponent(id)}`);
    assert.ok(res !== null);
    if ((await page.$("#proof-check")) !== null) {
      await page.waitForFunction(() => document.getElementById("proof-check")?.dataset.state !== "pending", null, { timeout: 15_000 });
    }
    return page;
  }

  const attr = (page: Page, selector: string, name: string): Promise<string | null> => page.getAttribute(selector, name);

  const statuses: Array<[string, (p: ProofChain) => string, string]> = [
    ["valid", (p) => p.valid.certificateId, "valid"],
    ["revoked", (p) => p.revoked.certificateId, "revoked"],
    ["expired", (p) => p.expired.certificateId, "expired"],
  ];
  for (const [name, idOf, status] of statuses) {
    it(`a ${name} certificate: the node says ${status} and the in-browser proof check agrees`, async () => {
      const page = await open(idOf(pc));
      assert.equal(await attr(page, "#node-status", "data-status"), status);
      assert.equal(await attr(page, "#proof-check", "data-state"), "ok", (await page.textContent("#proof-result")) ?? "");
      assert.match((await page.textContent("#proof-result")) ?? "", new RegExp(`agrees with the node: ${status}`));
      assert.match((await page.textContent(".facts")) ?? "", /市场监督管理局/);
      assert.deepEqual(problems, [], "no CSP violation or script error");
      await page.close();
    });
  }

  it("an unknown certificate: 404, says so in both languages, and the browser checks the proof of absence", async () => {
    const page = await open("BL-NEVER-ISSUED");
    assert.equal(await attr(page, "#node-status", "data-status"), "unknown");
    assert.match((await page.textContent("#node-status")) ?? "", /未找到该证书.*Certificate not found/s);
    assert.equal(await attr(page, "#proof-check", "data-state"), "ok", (await page.textContent("#proof-result")) ?? "");
    assert.match(
      (await page.textContent("#proof-result")) ?? "",
      /Proof of absence verified in your browser: the chain holds no certificate BL-NEVER-ISSUED as of block 3/,
    );
    assert.equal(await page.$("#document-check"), null, "no document to check against nothing");
    // The page and its proof are answered 404 (the id is unknown): the browser logs both; nothing else.
    assert.deepEqual(
      problems.filter((p) => !/status of 404 \(Not Found\)/.test(p)),
      [],
      "no CSP violation or script error",
    );
    await page.close();
  });

  const absenceForgeries: Array<[string, (id: string) => Promise<unknown>, RegExp]> = [
    [
      "another id's proof of absence",
      async () => buildProofBundle(pc.chain.spec, pc.store, "BL-SOMETHING-ELSE"),
      /the proof is of certificate BL-SOMETHING-ELSE, the page names BL-NEVER-ISSUED/,
    ],
    [
      "a state proof cut short",
      async (id) => {
        const bundle = structuredClone(await buildProofBundle(pc.chain.spec, pc.store, id)) as { state: { siblings: string[] } };
        bundle.state.siblings = bundle.state.siblings.slice(1);
        return bundle;
      },
      /the proof does not lead to the state root of block 3/,
    ],
    ["no proof at all (an error body)", async () => ({ error: "NOT_FOUND", message: "certificate BL-NEVER-ISSUED" }), /not a certchain-proof\/2 bundle/],
  ];
  for (const [name, forge, pattern] of absenceForgeries) {
    it(`an unknown certificate whose proof of absence is forged (${name}): refused in the browser`, async () => {
      const page = await open("BL-NEVER-ISSUED", async (p) => {
        await p.route("**/certificates/*/proof", async (route) => {
          await route.fulfill({ status: 404, contentType: "application/json", body: JSON.stringify(await forge("BL-NEVER-ISSUED")) });
        });
      });
      assert.equal(await attr(page, "#proof-check", "data-state"), "failed", (await page.textContent("#proof-result")) ?? "");
      assert.match((await page.textContent("#proof-result")) ?? "", pattern);
      await page.close();
    });
  }

  it("a node that serves another certificate's bundle for an unknown id: refused, not taken for this id", async () => {
    const page = await open("BL-NEVER-ISSUED", async (p) => {
      await p.route("**/certificates/*/proof", async (route) => {
        const bundle = structuredClone(await buildProofBundle(pc.chain.spec, pc.store, pc.valid.certificateId));
        await route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(bundle) });
      });
    });
    assert.equal(await attr(page, "#proof-check", "data-state"), "failed");
    assert.match((await page.textContent("#proof-result")) ?? "", /the proof is of certificate BL-[^ ]+, the page names BL-NEVER-ISSUED/);
    await page.close();
  });

  it("a tampered proof bundle: the in-browser check fails and says why", async () => {
    const page = await open(pc.valid.certificateId, async (p) => {
      await p.route("**/certificates/*/proof", async (route) => {
        const original = await route.fetch();
        const bundle = await original.json();
        bundle.events[0].tx.body.payload.publicFields.enterpriseName = "Forged Co.";
        await route.fulfill({ response: original, json: bundle });
      });
    });
    assert.equal(await attr(page, "#node-status", "data-status"), "valid", "the (lying) node still says valid");
    assert.equal(await attr(page, "#proof-check", "data-state"), "failed");
    assert.match((await page.textContent("#proof-result")) ?? "", /in-browser check failed: event 0: issuer signature does not verify/);
    await page.close();
  });

  it("a bundle leaving out the revocation (the issue alone): the in-browser check refuses it against the newest state root", async () => {
    const page = await open(pc.revoked.certificateId, async (p) => {
      await p.route("**/certificates/*/proof", async (route) => {
        const bundle = structuredClone(await buildProofBundle(pc.chain.spec, pc.store, pc.revoked.certificateId));
        assert.ok(bundle !== null);
        assert.equal(bundle.events.length, 2, "issue and revocation");
        bundle.events = bundle.events.slice(0, 1);
        await route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(bundle) });
      });
    });
    assert.equal(await attr(page, "#proof-check", "data-state"), "failed", (await page.textContent("#proof-result")) ?? "");
    assert.match(
      (await page.textContent("#proof-result")) ?? "",
      /in-browser check failed: the certificate's state at block 3 is not what the bundle's 1 event\(s\) give/,
    );
    assert.deepEqual(problems, [], "no CSP violation or script error");
    await page.close();
  });

  for (const [name, forge, , pattern] of INDEPENDENT_FINDINGS) {
    it(`a forged bundle (${name}): refused in the browser`, async () => {
      const page = await open(pc.revoked.certificateId, async (p) => {
        await p.route("**/certificates/*/proof", async (route) => {
          const bundle = structuredClone(await buildProofBundle(pc.chain.spec, pc.store, pc.revoked.certificateId));
          assert.ok(bundle !== null);
          forge(bundle, pc);
          await route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(bundle) });
        });
      });
      assert.equal(await attr(page, "#proof-check", "data-state"), "failed", (await page.textContent("#proof-result")) ?? "");
      const text = (await page.textContent("#proof-result")) ?? "";
      assert.match(text, /The in-browser check failed: /, text);
      assert.match(text.slice(text.indexOf("failed: ") + 8), pattern, text);
      await page.close();
    });
  }

  // Readers: a Chinese one in Beijing and an English one in Berlin (the English times follow the reader).
  const readers: Array<[string, string, string, RegExp]> = [
    ["zh", "zh-CN", "Asia/Shanghai", /Asia\/Shanghai \(GMT\+8\)/],
    ["en", "en-GB", "Europe/Berlin", /Europe\/Berlin \(GMT\+1\)/],
  ];
  for (const [lang, locale, zone, readerZone] of readers) {
    for (const width of [390, 1280]) {
      it(`a ${lang} reader (${zone}) at ${width} px: no sideways scrolling, Beijing time in Chinese and the reader's zone in English`, async () => {
        const page = await open(pc.valid.certificateId, async (p) => {
          const cdp = await p.context().newCDPSession(p);
          await cdp.send("Emulation.setTimezoneOverride", { timezoneId: zone });
          await cdp.send("Emulation.setLocaleOverride", { locale });
          await p.setViewportSize({ width, height: 900 });
        });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `page is ${overflow}px wider than a ${width}px screen`);
        const times = await page.$$eval("time", (els) => els.map((e) => e.textContent ?? ""));
        assert.ok(times.length >= 4, `validity, issue and as-of times: ${times.join(" | ")}`);
        for (const t of times) {
          assert.match(t, /^\d{4}-\d\d-\d\d \d\d:\d\d 北京时间 \d{4}-\d\d-\d\d \d\d:\d\d /, `time ${t}`);
          assert.match(t, readerZone, `time ${t} in the reader's zone`);
        }
        assert.equal(await attr(page, ".reason", "lang"), "en", "the English status sentence is marked");
        assert.deepEqual(problems, []);
        await page.close();
      });
    }
  }

  it("prints to an A4 PDF: both languages, the QR code, the chain id and the proof summary; no file picker", async () => {
    const page = await open(pc.valid.certificateId);
    await page.emulateMedia({ media: "print" });
    assert.equal(await page.isVisible(".print-link .qr svg"), true, "the QR code is printed");
    assert.equal(await page.isVisible("#document-check"), false, "the file picker is not printed");
    assert.equal(await page.isVisible("#proof-details"), true, "the proof summary is printed");
    const printed = (await page.textContent("main")) ?? "";
    assert.match(printed, /证书类型\s*Type/, "facts in both languages");
    assert.match(printed, new RegExp(pc.chain.spec.chainId), "the chain id");
    const pdf = await page.pdf({ format: "A4", printBackground: true });
    assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-", "a PDF");
    const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    assert.ok(pages >= 1 && pages <= 2, `${pages} A4 pages`);
    await page.close();
  });

  const documents: Array<[string, (p: ProofChain) => unknown, string, RegExp]> = [
    ["the holder's own document", (p) => p.valid, "ok", /matches the record and the certificate is valid/],
    [
      "a document with a changed field",
      (p) => ({ ...p.valid, fields: { ...p.valid.fields, address: "2 Forged Road" } }),
      "failed",
      /does not match the record: document digest/,
    ],
    ["another certificate's document", (p) => p.revoked, "failed", /does not match the record/],
  ];
  for (const [name, docOf, state, pattern] of documents) {
    it(`document upload: ${name} → ${state}`, async () => {
      const page = await open(pc.valid.certificateId);
      await page.waitForSelector("#document-file:not([disabled])");
      await page.setInputFiles("#document-file", { name: "document.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(docOf(pc))) });
      await page.waitForFunction(() => document.getElementById("document-check")?.dataset.state !== "idle");
      assert.equal(await attr(page, "#document-check", "data-state"), state, (await page.textContent("#document-result")) ?? "");
      assert.match((await page.textContent("#document-result")) ?? "", pattern);
      assert.deepEqual(problems, []);
      await page.close();
    });
  }

  /** The licence's SD-JWT VC (entry `idx` of market-regulation's list), presented with its enterprise name only. */
  async function presentation(doc: CertificateDocument, idx: number): Promise<string> {
    const key = pc.chain.issuers.get("market-regulation") as { publicKey: string; privateKey: string };
    const credential = await issueCredential(doc, key, { idx, uri: `${base}/status-lists/market-regulation` }, Date.now());
    return presentCredential(credential, { fields: { enterpriseName: true } });
  }
  const tamper = (p: string): string => {
    const [jwt, d] = p.split("~") as [string, string];
    const [salt, name] = JSON.parse(Buffer.from(d, "base64url").toString("utf8")) as [string, string];
    return `${jwt}~${Buffer.from(JSON.stringify([salt, name, "Forged Ltd."])).toString("base64url")}~`;
  };
  const presentations: Array<[string, (p: ProofChain) => CertificateDocument, (p: string) => string, number, string, RegExp]> = [
    ["the valid licence's enterprise name alone", (p) => p.valid, (x) => x, 0, "ok", /Credential verified: signed by market-regulation, not revoked/],
    ["the revoked licence's", (p) => p.revoked, (x) => x, 1, "failed", /revoked or superseded/],
    ["a tampered disclosure", (p) => p.valid, tamper, 0, "failed", /referenced by no digest/],
  ];
  for (const [name, docOf, change, idx, state, pattern] of presentations) {
    it(`SD-JWT VC presentation: ${name} → ${state}`, async () => {
      const doc = docOf(pc);
      const page = await open(doc.certificateId);
      await page.waitForSelector("#sd-jwt-file:not([disabled])");
      const file = change(await presentation(doc, idx));
      await page.setInputFiles("#sd-jwt-file", { name: "licence.sd-jwt", mimeType: "text/plain", buffer: Buffer.from(file) });
      await page.waitForFunction(() => document.getElementById("sd-jwt-check")?.dataset.state !== "idle");
      const result = (await page.textContent("#sd-jwt-result")) ?? "";
      assert.equal(await attr(page, "#sd-jwt-check", "data-state"), state, result);
      assert.match(result, pattern);
      if (state === "ok") {
        const details = (await page.textContent("#sd-jwt-details")) ?? "";
        assert.match(details, /fields\.enterpriseName/);
        assert.doesNotMatch(details, /Zhang San|holder\./, "only what was disclosed");
      }
      assert.deepEqual(problems, []);
      await page.close();
    });
  }

  it("fits a phone screen without sideways scrolling, and API clients still get JSON", async () => {
    const page = await open(pc.revoked.certificateId);
    await page.setViewportSize({ width: 360, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than a 360px screen`);
    await page.screenshot({ path: join(profile, "phone.png"), fullPage: true });
    await page.close();
    const api = await fetch(`${base}/verify/${pc.valid.certificateId}`, { headers: { accept: "application/json" } });
    assert.equal(api.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(((await api.json()) as { status: string }).status, "valid");
  });
});

describe("e2e: the verification page in Chromium, after governance changes (docs/proof-format.md §6a)", () => {
  let g: GovProofChain;
  let app: FastifyInstance;
  let base: string;
  let profile: string;
  let browser: BrowserContext;

  before(async () => {
    g = await makeGovProofChain("page-gov-chain");
    const head = g.store.head()?.time as number;
    app = createRpcServer({}, { backend: new StoreBackend(g.chain.spec, g.store, () => head) });
    await app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    profile = await mkdtemp(join(tmpdir(), "certchain-chromium-"));
    browser = await launchChromium(profile);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
  });

  async function open(id: string, setup?: (page: Page) => Promise<void>): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error" && !/favicon/.test(msg.location().url)) problems.push(`console: ${msg.text()}`);
    });
    await setup?.(page);
    await page.goto(`${base}/verify/${encodeURIComponent(id)}`);
    await page.waitForFunction(() => document.getElementById("proof-check")?.dataset.state !== "pending", null, { timeout: 15_000 });
    return { page, problems };
  }

  for (const [name, docOf] of [
    ["signed by the old key before its revocation, after three validator changes", (x: GovProofChain) => x.old],
    ["signed by the new key after the rotation", (x: GovProofChain) => x.rotated],
  ] as const) {
    it(`a certificate ${name}: the page follows the governance chain from genesis and agrees with the node; the document checks`, async () => {
      const { page, problems } = await open(docOf(g).certificateId);
      assert.equal(await page.getAttribute("#proof-check", "data-state"), "ok", (await page.textContent("#proof-result")) ?? "");
      assert.match((await page.textContent("#proof-result")) ?? "", /agrees with the node: valid/);
      assert.match((await page.textContent("#proof-details")) ?? "", /Governance changes\s*6/);
      await page.waitForSelector("#document-file:not([disabled])");
      await page.setInputFiles("#document-file", { name: "document.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(docOf(g))) });
      await page.waitForFunction(() => document.getElementById("document-check")?.dataset.state !== "idle");
      assert.equal(await page.getAttribute("#document-check", "data-state"), "ok", (await page.textContent("#document-result")) ?? "");
      assert.deepEqual(problems, [], "no CSP violation or script error");
      await page.close();
    });
  }

  it("a bundle whose governance chain leaves out node2's removal: refused in the browser", async () => {
    const { page } = await open(g.old.certificateId, async (p) => {
      await p.route("**/certificates/*/proof", async (route) => {
        const bundle = structuredClone(await buildProofBundle(g.chain.spec, g.store, g.old.certificateId));
        assert.ok(bundle?.governance !== undefined);
        bundle.governance.splice(2, 1);
        await route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(bundle) });
      });
    });
    assert.equal(await page.getAttribute("#proof-check", "data-state"), "failed");
    assert.match((await page.textContent("#proof-result")) ?? "", /names another validator set than the one derived from genesis/);
    await page.close();
  });
});
