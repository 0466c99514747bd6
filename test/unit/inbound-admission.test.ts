/** Budgets of pending inbound handshakes per address (hardening finding 8 #6). */
import assert from "node:assert/strict";
import { InboundAdmission } from "../../node/network/inbound-admission.js";

const options = { maxPendingPerUnknownAddress: 2, maxPendingUnknown: 3, maxPendingPerPeer: 2 };
/** Two configured peers on 10.0.0.1, one on 10.0.0.2. */
const peerHosts = (): Map<string, number> =>
  new Map([
    ["10.0.0.1", 2],
    ["10.0.0.2", 1],
  ]);

describe("inbound admission", () => {
  const cases: Array<[string, string[], boolean[]]> = [
    ["an unknown address gets two pending handshakes", ["9.9.9.9", "9.9.9.9", "9.9.9.9"], [true, true, false]],
    ["unknown addresses share a total of three", ["9.9.9.1", "9.9.9.2", "9.9.9.3", "9.9.9.4"], [true, true, true, false]],
    ["a peers' address gets two per configured peer there", ["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.1"], [true, true, true, true, false]],
    ["unknown addresses at their total do not take a peer's slot", ["9.9.9.1", "9.9.9.2", "9.9.9.3", "10.0.0.2"], [true, true, true, true]],
  ];
  for (const [name, hosts, expected] of cases) {
    it(name, () => {
      const admission = new InboundAdmission(options, peerHosts());
      for (const [i, host] of hosts.entries()) assert.equal(admission.admit(host), expected[i], `connection ${i} from ${host}`);
    });
  }

  it("a released slot can be taken again, and releasing twice frees nothing more", () => {
    const admission = new InboundAdmission(options, peerHosts());
    assert.ok(admission.admit("9.9.9.9") && admission.admit("9.9.9.9"));
    admission.release("9.9.9.9");
    assert.equal(admission.pendingFrom("9.9.9.9"), 1);
    assert.equal(admission.admit("9.9.9.9"), true);
    for (let i = 0; i < 4; i++) admission.release("9.9.9.9");
    assert.equal(admission.pendingFrom("9.9.9.9"), 0);
    assert.ok(admission.admit("9.9.9.1") && admission.admit("9.9.9.2") && admission.admit("9.9.9.3"), "the unknown total is whole again");
  });

  it("libp2p's own cap is the sum of every budget", () => {
    assert.equal(new InboundAdmission(options, peerHosts()).totalBudget, 3 + 2 * 3);
  });
});
