/** bench/cpu-time.ts: CPU time from /proc/PID/stat and /proc/stat, and what a window cost per transaction. */
import assert from "node:assert/strict";
import { type CpuReading, cpuPerTx, loopbackBytes, pidStatCpuMs, procStatCpuMs, readCpu } from "../../bench/cpu-time.js";

// Fields 1–17 of /proc/PID/stat: utime (14th) 1234 ticks, stime (15th) 56, cutime/cstime (children) 99 and 88.
const PID_STAT = "4242 (node) S 1 4242 4242 0 -1 4194304 5000 0 0 0 1234 56 99 88 20 0 11 0 100 900000000 60000";

describe("cpu-time: CPU from /proc", () => {
  const pidCases: Array<[string, string, number | null]> = [
    ["a node process: utime + stime, children's time left out", PID_STAT, (1234 + 56) * 10],
    ["a command name with spaces and parentheses", PID_STAT.replace("(node)", "(a (b) c)"), (1234 + 56) * 10],
    ["a process that has not run yet", PID_STAT.replace("1234 56", "0 0"), 0],
    ["cut short", "4242 (node) S 1 4242", null],
    ["empty", "", null],
  ];
  for (const [name, text, want] of pidCases) it(`/proc/PID/stat: ${name}`, () => assert.equal(pidStatCpuMs(text), want));

  const statCases: Array<[string, string, ReturnType<typeof procStatCpuMs>]> = [
    // user nice system idle iowait irq softirq steal guest guest_nice: busy 100+2+30+1+4+5, idle 800+7
    ["two cores' totals", "cpu  100 2 30 800 7 1 4 5 0 0\ncpu0 50 1 15 400 3 0 2 2 0 0\n", { busyMs: 1420, totalMs: 9490 }],
    ["a kernel with fewer trailing fields", "cpu 100 2 30 800 7 1 4 5\n", { busyMs: 1420, totalMs: 9490 }],
    ["not the cpu line first", "intr 1 2 3 4 5 6 7 8 9\n", null],
    ["too few fields", "cpu 100 2 30\n", null],
    ["a field not a number", "cpu 100 2 x 800 7 1 4 5\n", null],
  ];
  for (const [name, text, want] of statCases) it(`/proc/stat: ${name}`, () => assert.deepEqual(procStatCpuMs(text), want));

  const DEV_HEAD = "Inter-|   Receive |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets\n";
  const devCases: Array<[string, string, number | null]> = [
    [
      "lo's received bytes",
      `${DEV_HEAD}    lo: 14760607836 12348322    0    0    0     0          0         0 14760607836 12348322\n  eth0: 5 1 0 0 0 0 0 0 7 1\n`,
      14760607836,
    ],
    ["lo after another interface", `${DEV_HEAD}  eth0: 5 1 0 0 0 0 0 0 7 1\n    lo:99 1 0 0 0 0 0 0 99 1\n`, 99],
    ["no loopback", `${DEV_HEAD}  eth0: 5 1 0 0 0 0 0 0 7 1\n`, null],
    ["a name that only starts with lo", `${DEV_HEAD}  lo0x: 5 1 0 0 0 0 0 0 7 1\n`, null],
    ["empty", "", null],
  ];
  for (const [name, text, want] of devCases) it(`/proc/net/dev: ${name}`, () => assert.equal(loopbackBytes(text), want));

  it("a window's cost per committed transaction, per validator and for the machine", () => {
    const at = (nodesMs: number, clientMs: number, busyMs: number, totalMs: number, missing = 0, loopbackBytes: number | null = 0): CpuReading => ({
      nodesMs,
      nodesMissing: missing,
      clientMs,
      machine: { busyMs, totalMs },
      loopbackBytes,
    });
    const table: Array<[string, CpuReading, CpuReading, number, ReturnType<typeof cpuPerTx>]> = [
      [
        "4 validators, 10,000 committed over a 10 s window on 2 cores",
        at(5_000, 800, 50_000, 100_000, 0, 1_000_000),
        at(17_000, 2_300, 68_000, 120_000, 0, 71_000_000),
        10_000,
        {
          nodesMicrosPerTx: 1200,
          perValidatorMicrosPerTx: 300,
          clientMicrosPerTx: 150,
          machineMicrosPerTx: 1800,
          machineBusyShare: 0.9,
          loopbackBytesPerTx: 7000,
          incomplete: false,
        },
      ],
      [
        "nothing committed: no per-transaction figure",
        at(0, 0, 0, 0),
        at(1_000, 10, 1_000, 2_000),
        0,
        {
          nodesMicrosPerTx: 0,
          perValidatorMicrosPerTx: 0,
          clientMicrosPerTx: 0,
          machineMicrosPerTx: 0,
          machineBusyShare: 0.5,
          loopbackBytesPerTx: 0,
          incomplete: false,
        },
      ],
      [
        "a node process gone at the end: marked incomplete",
        at(4_000, 0, 0, 10_000),
        at(7_000, 0, 5_000, 20_000, 1, null),
        1_000,
        {
          nodesMicrosPerTx: 3000,
          perValidatorMicrosPerTx: 750,
          clientMicrosPerTx: 0,
          machineMicrosPerTx: 5000,
          machineBusyShare: 0.5,
          loopbackBytesPerTx: null,
          incomplete: true,
        },
      ],
    ];
    for (const [name, from, to, committed, want] of table) assert.deepEqual(cpuPerTx(from, to, committed, 4), want, name);
    const noProc = { ...at(0, 0, 0, 0), machine: null };
    assert.equal(cpuPerTx(noProc, noProc, 10, 4).machineMicrosPerTx, null);
    assert.equal(cpuPerTx(noProc, noProc, 10, 4).machineBusyShare, null);
  });

  it("reads this process and the machine where procfs exists; a pid that is gone counts as missing", async function () {
    if (process.platform !== "linux") this.skip();
    const reading = await readCpu([process.pid, null, 2 ** 22 + 1]);
    assert.ok(reading.nodesMs > 0, "this process has used some CPU");
    assert.equal(reading.nodesMissing, 2);
    assert.ok(reading.clientMs > 0);
    assert.ok(reading.machine !== null && reading.machine.totalMs >= reading.machine.busyMs && reading.machine.busyMs > 0);
    assert.ok(reading.loopbackBytes !== null && reading.loopbackBytes >= 0);
  });
});
