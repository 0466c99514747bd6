/**
 * No personal data on chain: a chain of certificates with distinctive holder names, id numbers, salts
 * and private field values is written to a real LevelStore; then every key and value LevelDB holds
 * (blocks, receipts, records, every index) and every byte of its files is searched for them.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { applyBlock } from "../../node/ledger/apply.js";
import { blockHash, buildBlock, commitSealBytes, genesisTip, nextBlockTime } from "../../node/chain/block.js";
import type { CertificateDocument } from "../../node/chain/document.js";
import { executeBlock } from "../../node/chain/state.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { Transaction } from "../../node/chain/types.js";
import { signBytes } from "../../node/crypto/keys.js";
import { LevelStore } from "../../node/db/level-store.js";
import { DEFAULT_REVIEW_RULES, DAY, T0, type TestPerson, documentFor, issueTx, makeTestChain, person, revokeTx } from "../helpers/chain.js";

const chain = makeTestChain(4, "privacy", { reviewRules: DEFAULT_REVIEW_RULES });

async function commit(store: LevelStore, txs: Transaction[], now: number): Promise<void> {
  const spec = chain.spec;
  const tip = store.head() ?? genesisTip(spec);
  const checked = txs.map((t) => checkTransaction(spec, t));
  const effects = await executeBlock(spec, store, tip.height + 1, nextBlockTime(tip, now), checked);
  for (const [i, r] of effects.receipts.entries()) assert.equal(r.status, "applied", `block ${tip.height + 1} tx ${i}: ${r.code} ${r.message}`);
  const block = buildBlock(spec, tip, spec.validatorSetAt(tip.height + 1).proposerIndex(tip.height + 1, 0), now, checked, effects);
  const hash = blockHash(block.header);
  const seals = [0, 1, 2].map((v) => ({
    validator: v,
    signature: signBytes(chain.validatorKeys[v]?.privateKey as string, commitSealBytes(spec.chainId, block.header.height, 0, hash)),
  }));
  await applyBlock(spec, store, block, { height: block.header.height, round: 0, blockHash: hash, seals }, hash, checked, effects);
}

describe("e2e: no personal data in a node's LevelDB", function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-privacy-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("holder names, id numbers, salts and private fields appear nowhere in blocks, records or indexes", async () => {
    const citizen: TestPerson = person("Privacy Citizen Alpha 隐私甲", "PRIVID-110101-ALPHA-7731");
    const representative: TestPerson = person("Privacy Representative Beta 隐私乙", "PRIVID-110101-BETA-9902");
    const enterprise: TestPerson = { ...person("Privacy Enterprise Holder Gamma", "PRIVID-USCC-GAMMA-5510") };
    const applicant: TestPerson = person("Privacy Applicant Delta", "PRIVID-110101-DELTA-4404");
    const secrets = [citizen, representative, enterprise, applicant].flatMap((p) => [p.holder.name, p.holder.idNumber, p.salt]);
    const privateFields = {
      address: "Secret Residence 42 Hidden Lane 机密地址",
      householdType: "PrivateHouseholdZeta",
      legalRepresentative: "Representative Name Omega 法人秘密",
      applicant: "Applicant Name Sigma 申请人秘密",
      dateOfBirth: "1987-06-05",
    };
    secrets.push(...Object.values(privateFields));

    const docs: CertificateDocument[] = [
      documentFor(chain, "identity-proof", citizen, { fields: { dateOfBirth: privateFields.dateOfBirth, address: privateFields.address, gender: "F" } }),
      documentFor(chain, "identity-proof", representative, { fields: { dateOfBirth: "1979-01-02", address: privateFields.address } }),
    ];
    const qualification = documentFor(chain, "home-purchase-qualification", citizen, {
      fields: { city: "Hangzhou", householdType: privateFields.householdType, maxHomes: 1 },
      validUntil: T0 + 30 * DAY,
    });
    const licence = documentFor(chain, "business-licence", enterprise, {
      fields: {
        enterpriseName: "Public Name Trading Co., Ltd.",
        unifiedSocialCreditCode: "91330100MA2XXXXX1X",
        enterpriseType: "Limited liability company",
        address: "1 Public Road, Hangzhou",
        legalRepresentative: privateFields.legalRepresentative,
      },
      links: { legalRepresentative: representative.commitment },
    });
    const approval = documentFor(chain, "administrative-approval", applicant, {
      fields: { matter: "Public matter", decisionNumber: "HZ-2026-0042", applicant: privateFields.applicant },
    });
    const renewal = documentFor(chain, "home-purchase-qualification", citizen, {
      fields: { city: "Hangzhou", householdType: privateFields.householdType, maxHomes: 1 },
      supersedes: qualification.certificateId,
      validFrom: T0 + 2 * DAY,
    });

    const store = await LevelStore.open({ path: join(dir, "data") });
    await commit(
      store,
      docs.map((d) => issueTx(chain, d)),
      T0 + 1000,
    );
    await commit(store, [issueTx(chain, qualification), issueTx(chain, licence), issueTx(chain, approval)], T0 + 2000);
    await commit(store, [revokeTx(chain, approval.certificateId, "government-services", "decision withdrawn")], T0 + DAY);
    await commit(store, [issueTx(chain, renewal)], T0 + 2 * DAY);
    // The chain did record what it should: the commitments, the link and the renewal.
    assert.equal((await store.getCertificate(licence.certificateId))?.links?.legalRepresentative, representative.commitment);
    assert.equal((await store.getCertificate(qualification.certificateId))?.supersededBy, renewal.certificateId);
    assert.deepEqual(await store.getHolderCertificates([{ commitment: citizen.commitment, certificateType: "home-purchase-qualification" }]), [
      [qualification.certificateId, renewal.certificateId],
    ]);
    await store.close();

    // Every key and value LevelDB holds, decoded as UTF-8, in every sublevel.
    const raw = new Level<Buffer, Buffer>(join(dir, "data"), { keyEncoding: "buffer", valueEncoding: "buffer" });
    let entries = 0;
    const text: string[] = [];
    for await (const [key, value] of raw.iterator()) {
      entries++;
      text.push(key.toString("utf8"), value.toString("utf8"));
    }
    await raw.close();
    assert.ok(entries > 20, `the store holds blocks, records and indexes (${entries} entries)`);
    const all = text.join("\n");
    // (the last: the holder index's key for the citizen's qualifications)
    for (const needle of ["holderCommitment", citizen.commitment, "REVIEW_APPROVED", `${citizen.commitment}!home-purchase-qualification`]) {
      assert.ok(all.includes(needle), `the scan sees on-chain data (${needle})`);
    }
    for (const secret of secrets) {
      const escaped = JSON.stringify(secret).slice(1, -1);
      const asciiEscaped = escaped.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
      for (const form of new Set([secret, escaped, asciiEscaped])) assert.ok(!all.includes(form), `"${secret}" is in the store`);
    }
    // And the files themselves (write-ahead log and tables), byte for byte.
    for (const file of await readdir(join(dir, "data"))) {
      const bytes = await readFile(join(dir, "data", file));
      for (const secret of secrets) assert.equal(bytes.indexOf(Buffer.from(secret, "utf8")), -1, `"${secret}" is in ${file}`);
    }
  });
});
