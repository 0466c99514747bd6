/**
 * Hardening finding 4: a record whose times lie outside the JavaScript Date range was committed, and
 * from then on every view of it answered 500 "RangeError: Invalid time value". The checks now refuse
 * such transactions, but a stored record (from before them, or written by other software) must still
 * render: this writes hostile records straight into a memory store and asks every view of them.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { blockHash, buildBlock, genesisTip } from "../../node/chain/block.js";
import { type CertificateDocument, issuePayloadFor } from "../../node/chain/document.js";
import { type BlockEffects, emptyEffects } from "../../node/chain/state.js";
import type { CertificateEvent, CertificateRecord } from "../../node/chain/types.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { type NodeBackendModules, NodeBackend } from "../../node/rpc/node-backend.js";
import { createRpcServer } from "../../node/rpc/server.js";
import { isoDate, isoTime } from "../../cli/format.js";
import { claimedResults, DAY, T0, licenceDocument, makeTestChain } from "../helpers/chain.js";

const chain = makeTestChain();
const FAR = 8.7e15; // beyond the Date range (±8.64e15 ms), still a safe integer

const event = (action: CertificateEvent["action"], time: number, extra: Partial<CertificateEvent> = {}): CertificateEvent => ({
  action,
  txHash: "ab".repeat(32),
  height: 1,
  index: 0,
  time,
  ...extra,
});

/** Hostile records: each with its document, so POST /verify can present a matching copy. */
const cases: Array<[string, { validFrom: number; validUntil: number }, (r: CertificateRecord) => void]> = [
  ["validFrom beyond the Date range (not yet valid)", { validFrom: FAR, validUntil: FAR + DAY }, () => undefined],
  ["validUntil beyond the Date range (valid)", { validFrom: T0, validUntil: FAR }, () => undefined],
  ["both before the Date range (expired)", { validFrom: -FAR - DAY, validUntil: -FAR }, () => undefined],
  [
    "history times beyond the Date range (revoked)",
    { validFrom: T0, validUntil: T0 + DAY },
    (r) => {
      r.revoked = true;
      r.revocationReason = "withdrawn";
      r.history = [event("issue", FAR), event("revoke", -FAR, { reason: "withdrawn" })];
    },
  ],
  [
    "a supersession at a time beyond the Date range",
    { validFrom: T0, validUntil: FAR },
    (r) => {
      r.supersededBy = "BL-RENEWAL-0001";
      r.history = [event("issue", -FAR), event("supersede", FAR, { by: "BL-RENEWAL-0001" })];
    },
  ],
];

describe("stored records with out-of-range times render in every view", () => {
  const store = new MemoryStore();
  const documents: CertificateDocument[] = [];
  const backend = new NodeBackend({ node: { name: "test", peerId: "test" }, validatorKey: null }, {
    spec: chain.spec,
    store,
    clock: { now: () => T0 + 2000 },
  } as unknown as NodeBackendModules);
  const app = createRpcServer({}, { backend });

  before(async () => {
    const certificates = new Map<string, CertificateRecord>();
    for (const [, period, change] of cases) {
      const doc = { ...licenceDocument(chain), ...period };
      const p = issuePayloadFor(chain.spec, doc);
      const record: CertificateRecord = {
        id: p.certificateId,
        certificateType: p.certificateType,
        department: doc.department,
        holderCommitment: p.holderCommitment,
        documentDigest: p.documentDigest,
        publicFields: p.publicFields,
        validFrom: p.validFrom,
        validUntil: p.validUntil,
        revoked: false,
        history: [event("issue", T0)],
      };
      change(record);
      documents.push(doc);
      certificates.set(record.id, record);
    }
    // The records are written directly, as a block's effects: no transaction check is involved.
    const block = buildBlock(chain.spec, genesisTip(chain.spec), 1, T0 + 1000, [], claimedResults([]));
    const hash = blockHash(block.header);
    const effects: BlockEffects = { ...emptyEffects(block.header.stateRoot), certificates };
    await store.commitBlock({ block, commit: { height: 1, round: 0, blockHash: hash, seals: [] }, hash, receipts: [] }, effects);
  });

  after(() => app.close());

  for (const [i, [name]] of cases.entries()) {
    it(name, async () => {
      const doc = documents[i] as CertificateDocument;
      const id = encodeURIComponent(doc.certificateId);
      const views = [
        { method: "GET" as const, url: `/certificates/${id}` },
        { method: "GET" as const, url: `/verify/${id}` },
        { method: "GET" as const, url: `/verify/${id}`, headers: { accept: "text/html" } },
        { method: "POST" as const, url: "/verify", payload: doc },
        { method: "POST" as const, url: "/verify", payload: { ...doc, validUntil: doc.validUntil - 1 } },
      ];
      for (const v of views) {
        const res = await app.inject(v);
        assert.equal(res.statusCode, 200, `${name}: ${v.method} ${v.url} ${v.headers?.accept ?? ""}: ${res.body.slice(0, 200)}`);
        if (v.headers?.accept === "text/html") assert.match(res.body, /invalid time/, `${name}: the page names the bad time`);
      }
      const verdict = (await app.inject({ method: "POST", url: "/verify", payload: doc })).json() as { status: string; reason: string };
      assert.notEqual(verdict.status, "mismatch", `${name}: the presented document matches its record`);
      assert.equal(typeof verdict.reason, "string", `${name}: a reason`);
    });
  }

  it("the CLI's formatting never throws either", () => {
    for (const ms of [FAR, -FAR, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.match(isoDate(ms), /^invalid time/, `isoDate(${ms})`);
      assert.match(isoTime(ms), /^invalid time/, `isoTime(${ms})`);
    }
    assert.equal(isoDate(T0), "2026-01-01");
  });
});
