/**
 * The consensus driver's promise to never equivocate rests on one ordering: the signing state is on
 * disk before the vote it protects leaves the node. These tests watch that ordering with a store
 * that records (or refuses) the writes.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import { ConsensusDriver, defaultDriverOptions } from "../../node/consensus/driver.js";
import { decodeMessage } from "../../node/chain/messages.js";
import { FileSigningState, type SigningState, storeSigningState } from "../../node/consensus/signing-state.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { createLogger, type Logger, setLogLevel } from "../../node/logger.js";
import { issueTx, licenceDocument, makeTestChain, T0 } from "../helpers/chain.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

class RecordingStore extends MemoryStore {
  readonly events: string[] = [];
  failWrites = false;
  /** What getSigningState answers first (a validator whose data directory was wiped keeps this). */
  saved: SigningState | null = null;
  override async getSigningState(): Promise<unknown | null> {
    return this.saved ?? super.getSigningState();
  }
  override async putSigningState(state: unknown): Promise<void> {
    if (this.failWrites) throw new Error("disk full");
    this.events.push(`persist ${JSON.stringify((state as { signed: Record<string, string> }).signed)}`);
    await super.putSigningState(state);
  }
}

async function runSingleValidator(store: RecordingStore): Promise<{ published: string[]; clock: ManualClock }> {
  const chain = makeTestChain(1);
  const clock = new ManualClock(T0 + 1000);
  const mempool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
  const published: string[] = [];
  const driver = new ConsensusDriver(defaultDriverOptions, {
    spec: chain.spec,
    store,
    mempool,
    clock,
    log: createLogger("test"),
    signer: { publicKey: chain.validatorKeys[0]?.publicKey as string, privateKey: chain.validatorKeys[0]?.privateKey as string },
    publish: async (data) => {
      const m = decodeMessage(chain.spec, data);
      published.push(`${m.kind}:${m.round}`);
      store.events.push(`send ${m.kind}:${m.round}`);
    },
  });
  await driver.start();
  await mempool.admit(issueTx(chain, licenceDocument(chain)));
  driver.transactionsAvailable();
  for (let i = 0; i < 20 && store.head() === null; i++) {
    await settle();
    clock.fireNext();
  }
  await settle();
  await driver.stop();
  return { published, clock };
}

describe("consensus driver: persist before send", () => {
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  it("writes the signing state that covers each vote before sending it, and commits the block", async () => {
    const store = new RecordingStore();
    const { published } = await runSingleValidator(store);
    assert.deepEqual(published, ["proposal:0", "prepare:0", "commit:0"], "a lone validator proposes, prepares and commits");
    for (const [i, e] of store.events.entries()) {
      if (!e.startsWith("send ")) continue;
      const key = e.slice(5);
      const before = store.events.slice(0, i).filter((x) => x.startsWith("persist "));
      assert.ok(
        before.some((p) => p.includes(`"${key}"`)),
        `event ${i}: ${key} sent before a persisted signing state covered it`,
      );
    }
    assert.equal(store.head()?.height, 1, "the block is committed");
  });

  it("sends nothing when the signing state cannot be written", async () => {
    const store = new RecordingStore();
    store.failWrites = true;
    const { published } = await runSingleValidator(store);
    assert.deepEqual(published, [], "no vote leaves without its record on disk");
    assert.equal(store.head(), null, "and nothing is committed");
  });
});

describe("consensus driver: a wiped data directory", () => {
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  it("signs nothing below the height of its saved signing state", async () => {
    const store = new RecordingStore();
    // It had signed at height 3; its chain is gone (head 0). Heights 1 and 2 were decided without it
    // knowing what it voted there, so it must only observe them.
    store.saved = { height: 3, round: 0, prepared: null, signed: { "prepare:0": "ab".repeat(32) } };
    const { published } = await runSingleValidator(store);
    assert.deepEqual(published, [], "no vote below the floor");
    assert.equal(store.head(), null);
  });

  it("resumes at the height of its saved signing state", async () => {
    const store = new RecordingStore();
    store.saved = { height: 1, round: 0, prepared: null, signed: {} };
    const { published } = await runSingleValidator(store);
    assert.deepEqual(published, ["proposal:0", "prepare:0", "commit:0"]);
  });
});

describe("signing state file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-signing-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const state: SigningState = { height: 7, round: 2, prepared: null, signed: { "commit:1": "cd".repeat(32) } };

  it("round-trips atomically and leaves no temporary file", async () => {
    const file = new FileSigningState(join(dir, "signing-state.json"));
    assert.equal(await file.load(), null, "nothing saved yet");
    await file.save(state);
    await file.save({ ...state, round: 3 });
    assert.deepEqual(await file.load(), { ...state, round: 3 });
    await assert.rejects(readFile(join(dir, "signing-state.json.tmp")), /ENOENT/);
  });

  it("falls back to the store's copy only when the file does not exist", async () => {
    const store = new MemoryStore();
    await store.putSigningState(state);
    const file = new FileSigningState(join(dir, "signing-state.json"), storeSigningState(store));
    assert.deepEqual(await file.load(), state);
  });

  for (const [name, text] of [
    ["truncated JSON", '{"height":7,"rou'],
    ["not a state", '{"hello":"world"}'],
  ] as const) {
    it(`refuses to start from a corrupt file: ${name}`, async () => {
      await writeFile(join(dir, "signing-state.json"), text);
      const file = new FileSigningState(join(dir, "signing-state.json"));
      await assert.rejects(file.load(), (err: Error & { code?: string }) => err.code === "STORE_CORRUPT" && /unreadable/.test(err.message));
    });
  }
});

describe("consensus driver: a signing state that cannot be written for a while", () => {
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  it("holds its votes and says so while writes fail, then votes and commits once a write succeeds", async () => {
    const FAILURES = 5;
    const chain = makeTestChain(1);
    const clock = new ManualClock(T0 + 1000);
    const store = new MemoryStore();
    const mempool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    const events: string[] = [];
    const errors: Array<Record<string, unknown>> = [];
    let failuresLeft = FAILURES;
    const signing = {
      load: async (): Promise<SigningState | null> => null,
      save: async (state: SigningState): Promise<void> => {
        if (failuresLeft > 0) {
          failuresLeft--;
          events.push("write failed");
          throw Object.assign(new Error("EMFILE: too many open files"), { code: "EMFILE" });
        }
        events.push(`persist ${JSON.stringify(state.signed)}`);
      },
    };
    const log: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (msg, ctx = {}) => errors.push({ msg, ...ctx }),
      child: () => log,
    };
    const driver = new ConsensusDriver(defaultDriverOptions, {
      spec: chain.spec,
      store,
      mempool,
      clock,
      log,
      signer: { publicKey: chain.validatorKeys[0]?.publicKey as string, privateKey: chain.validatorKeys[0]?.privateKey as string },
      signing,
      publish: async (data) => {
        const m = decodeMessage(chain.spec, data);
        events.push(`send ${m.kind}:${m.round}`);
      },
    });
    await driver.start();
    await mempool.admit(issueTx(chain, licenceDocument(chain)));
    driver.transactionsAvailable();
    const health: boolean[] = [];
    for (let i = 0; i < 40 && store.head() === null; i++) {
      await settle();
      health.push(driver.signingHealth().writable);
      clock.fireNext();
    }
    await settle();
    await driver.stop();

    const lastFailure = events.lastIndexOf("write failed");
    assert.equal(events.filter((e) => e === "write failed").length, FAILURES, "every failing write was retried");
    for (const [i, e] of events.slice(0, lastFailure).entries())
      assert.ok(!e.startsWith("send "), `event ${i}: ${e} while the signing state could not be written`);
    assert.ok(health.includes(false), "the driver reported the signing state unwritable meanwhile");
    // The round timer ran on meanwhile: the held proposal goes out first, then the round change it
    // signed while blocked, and the block is decided in the later round.
    const sends = events.filter((e) => e.startsWith("send "));
    assert.deepEqual(sends.slice(0, 2), ["send proposal:0", "send round-change:1"], "the held votes leave in the order they were signed");
    assert.match(sends.at(-1) ?? "", /^send commit:/, "then it votes on to a commit");
    assert.equal(store.head()?.height, 1, "the block is committed");
    assert.deepEqual(driver.signingHealth(), { writable: true, failures: FAILURES, heldVotes: 0 });
    assert.ok(errors.length >= 1, "the failure was logged as an error");
    assert.ok(errors.length < FAILURES, `the error log is rate-limited (${errors.length} logs for ${FAILURES} failures)`);
    for (const [i, e] of errors.entries()) {
      assert.match(String(e.msg), /cannot write the signing state/, `error ${i}`);
      assert.equal((e.err as { code?: string }).code, "EMFILE", `error ${i} carries the cause`);
    }
  });
});

describe("consensus driver: the heartbeat of an idle chain", () => {
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  it("with no transaction, makes an empty block once the head is heartbeatIntervalMs old (by header time), and none before", async () => {
    const chain = makeTestChain(1);
    const interval = chain.spec.heartbeatIntervalMs;
    const clock = new ManualClock(T0 + 1000);
    const store = new MemoryStore();
    const mempool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    const driver = new ConsensusDriver(defaultDriverOptions, {
      spec: chain.spec,
      store,
      mempool,
      clock,
      log: createLogger("test"),
      signer: { publicKey: chain.validatorKeys[0]?.publicKey as string, privateKey: chain.validatorKeys[0]?.privateKey as string },
      publish: async () => {},
    });
    await driver.start();
    const times: number[] = [];
    for (let i = 0; i < 40 && (store.head()?.height ?? 0) < 2; i++) {
      await settle();
      const before = store.head()?.height ?? 0;
      clock.fireNext();
      await settle();
      if ((store.head()?.height ?? 0) > before) times.push(clock.now());
    }
    await driver.stop();
    assert.equal(store.head()?.height, 2, "two heartbeat blocks");
    const b1 = await store.getBlock(1);
    const b2 = await store.getBlock(2);
    assert.equal(b1?.block.header.txCount, 0, "an empty block");
    assert.ok((b1?.block.header.time as number) >= T0 + interval, `block 1 at ${b1?.block.header.time}, genesis ${T0}, interval ${interval}`);
    assert.ok(
      (b2?.block.header.time as number) - (b1?.block.header.time as number) >= interval,
      `block 2 ${(b2?.block.header.time as number) - (b1?.block.header.time as number)} ms after block 1`,
    );
    for (const t of times) assert.ok(t >= T0 + interval, `a block committed at ${t}, before the first heartbeat was due`);
  });
});
