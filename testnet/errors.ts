/** Why the testnet could not start or stop, with extra lines (e.g. a node's log tail) for the operator. */
export class TestnetError extends Error {
  /** Printed under the message by the CLI. */
  readonly detail?: string;

  constructor(message: string, detail?: string) {
    super(message);
    this.name = "TestnetError";
    if (detail !== undefined) this.detail = detail;
  }
}
