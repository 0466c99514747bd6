/** WorkLimit (node/rpc/work-limit.ts): bounded concurrency, a bounded queue, and a bound on the wait for a turn. */
import assert from "node:assert/strict";
import { LedgerError } from "../../node/errors.js";
import { WorkLimit } from "../../node/rpc/work-limit.js";

/** A clock the test moves by hand. */
const manual = (): { now: () => number; advance: (ms: number) => void } => {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
};

/** A piece of work that finishes when the test says so. */
const gate = (): { promise: Promise<void>; open: () => void } => {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
};

const busy = (err: unknown): boolean => err instanceof LedgerError && err.code === "RPC_BUSY";

describe("WorkLimit: shedding by queue length and by wait", () => {
  it("refuses at once past maxQueued", async () => {
    const clock = manual();
    const limit = new WorkLimit("reads", { concurrency: 1, maxQueued: 1, retryAfterSeconds: 1, maxQueueWaitMs: 0 }, clock);
    const first = gate();
    const running = limit.run(() => first.promise);
    const queued = limit.run(async () => "queued");
    assert.throws(() => limit.run(async () => "third"), busy, "a second waiter is over maxQueued");
    first.open();
    await running;
    assert.equal(await queued, "queued");
  });

  const cases: Array<[string, number, number, boolean]> = [
    ["waited less than the bound: done", 2_000, 1_500, true],
    ["waited exactly the bound: done", 2_000, 2_000, true],
    ["waited past the bound: refused undone", 2_000, 2_001, false],
    ["no bound (0): done however long it waited", 0, 60_000, true],
  ];
  for (const [name, bound, waited, done] of cases) {
    it(name, async () => {
      const clock = manual();
      const limit = new WorkLimit("transaction submissions", { concurrency: 1, maxQueued: 4, retryAfterSeconds: 1, maxQueueWaitMs: bound }, clock);
      const first = gate();
      const started = gate();
      const running = limit.run(() => {
        started.open();
        return first.promise;
      });
      await started.promise; // the first holds the only slot before the clock moves
      let ran = false;
      const outcome = limit
        .run(async () => {
          ran = true;
        })
        .then(
          () => "done",
          (err: unknown) => err,
        );
      clock.advance(waited);
      first.open();
      await running;
      const result = await outcome;
      if (done) assert.equal(result, "done");
      else assert.ok(busy(result) && (result as LedgerError).details?.retryAfterSeconds === 1, String(result));
      assert.equal(ran, done, `the work ${done ? "ran" : "did not run"}`);
    });
  }
});
