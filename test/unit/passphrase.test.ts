/**
 * Where the CLI gets a key passphrase: --passphrase-file, $CERTCHAIN_PASSPHRASE_FILE, the terminal
 * (without echo; twice for a new one), else a usage error — and the hidden prompt itself on a fake
 * terminal.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError, UsageError } from "../../cli/errors.js";
import type { CliIo } from "../../cli/io.js";
import { existingPassphrase, newPassphrase, readPassphraseFile } from "../../cli/passphrase.js";
import { readHiddenLine } from "../../cli/secret-prompt.js";
import { LedgerError } from "../../node/errors.js";

/** A fake terminal: records raw mode and what was written; `type` feeds it keystrokes. */
class FakeTerminal extends EventEmitter {
  isRaw = false;
  written = "";
  rawModes: boolean[] = [];
  setRawMode(mode: boolean): void {
    this.isRaw = mode;
    this.rawModes.push(mode);
  }
  resume(): void {}
  pause(): void {}
  write(text: string): void {
    this.written += text;
  }
  type(...chunks: string[]): void {
    for (const c of chunks) this.emit("data", Buffer.from(c, "utf8"));
  }
}

/** An io whose terminal answers `answers` in turn (none: no terminal). */
function io(env: Record<string, string>, answers?: string[]): CliIo & { prompts: string[] } {
  const prompts: string[] = [];
  const base = { prompts, out: () => undefined, err: () => undefined, env };
  if (answers === undefined) return base;
  const readSecret = async (prompt: string): Promise<string> => {
    prompts.push(prompt);
    return answers.shift() ?? "";
  };
  return { ...base, readSecret };
}

describe("passphrases", () => {
  let dir: string;
  const file = async (name: string, text: string, mode = 0o600): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    await chmod(path, mode);
    return path;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-pass-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a passphrase file's first line, its line ending stripped", async () => {
    const cases: Array<[string, string]> = [
      ["pass word\n", "pass word"],
      ["pass word", "pass word"],
      ["pass word\r\n", "pass word"],
      ["first\nsecond\n", "first"],
      ["  spaces kept  \n", "  spaces kept  "],
    ];
    for (const [i, [text, passphrase]] of cases.entries()) assert.equal(await readPassphraseFile(await file(`p${i}`, text)), passphrase, JSON.stringify(text));
  });

  it("refuses an empty passphrase file and one group or others may read", async () => {
    for (const text of ["", "\n", "\r\n"]) {
      const path = await file("empty", text);
      await assert.rejects(
        readPassphraseFile(path),
        (err: unknown) => err instanceof CliError && /is empty: an empty passphrase is refused/.test(err.message),
        JSON.stringify(text),
      );
    }
    const open = await file("open", "secret\n", 0o640);
    await assert.rejects(
      readPassphraseFile(open),
      (err: unknown) => err instanceof LedgerError && err.message === `permissions 0640 for ${open} are too open; chmod 600 ${open}`,
    );
  });

  it("takes the flag's file first, then $CERTCHAIN_PASSPHRASE_FILE, then the terminal, else a usage error", async () => {
    const flag = await file("flag", "from flag\n");
    const env = await file("env", "from env\n");
    const withEnv = { CERTCHAIN_PASSPHRASE_FILE: env };
    assert.equal(await existingPassphrase("start", io(withEnv, ["typed"]), flag, "KEY"), "from flag");
    assert.equal(await existingPassphrase("start", io(withEnv, ["typed"]), undefined, "KEY"), "from env");
    const terminal = io({ CERTCHAIN_PASSPHRASE_FILE: "" }, ["typed"]);
    assert.equal(await existingPassphrase("start", terminal, undefined, "KEY"), "typed");
    assert.deepEqual(terminal.prompts, ["passphrase for KEY: "]);
    await assert.rejects(
      existingPassphrase("start", io({}), undefined, "KEY"),
      (err: unknown) =>
        err instanceof UsageError && /a passphrase is needed for KEY: give --passphrase-file FILE or set CERTCHAIN_PASSPHRASE_FILE/.test(err.message),
    );
    await assert.rejects(
      existingPassphrase("start", io({}, [""]), undefined, "KEY"),
      (err: unknown) => err instanceof CliError && /empty passphrase is refused/.test(err.message),
    );
  });

  it("asks twice for a new passphrase, refuses two that differ, and may ignore the environment", async () => {
    const twice = io({}, ["new one", "new one"]);
    assert.equal(await newPassphrase("keys generate", twice, undefined, "K"), "new one");
    assert.deepEqual(twice.prompts, ["new passphrase for K: ", "the same passphrase again: "]);
    await assert.rejects(
      newPassphrase("keys generate", io({}, ["one", "other"]), undefined, "K"),
      (err: unknown) => err instanceof CliError && /differ/.test(err.message),
    );
    const env = await file("env2", "old\n");
    assert.equal(
      await newPassphrase("keys change-passphrase", io({ CERTCHAIN_PASSPHRASE_FILE: env }, ["n", "n"]), undefined, "K", "--new-passphrase-file", false),
      "n",
    );
    await assert.rejects(
      newPassphrase("keys change-passphrase", io({ CERTCHAIN_PASSPHRASE_FILE: env }), undefined, "K", "--new-passphrase-file", false),
      (err: unknown) => err instanceof UsageError && /give --new-passphrase-file FILE \(no terminal/.test(err.message),
    );
  });

  it("reads a line on the terminal without echo, with Backspace, and restores the terminal", async () => {
    const cases: Array<[string[], string]> = [
      [["secret\r"], "secret"],
      [["sec", "ret\n"], "secret"],
      [["secrex\u007ft\r"], "secret"],
      [["\u007fab\bc\r"], "ac"],
      [["密码 ok\r"], "密码 ok"],
    ];
    for (const [keys, line] of cases) {
      const tty = new FakeTerminal();
      const read = readHiddenLine(tty, tty, "passphrase: ");
      tty.type(...keys);
      assert.equal(await read, line, JSON.stringify(keys));
      assert.equal(tty.written, "passphrase: \n", "only the prompt is echoed");
      assert.deepEqual(tty.rawModes, [true, false], "raw mode on, then restored");
      assert.equal(tty.listenerCount("data"), 0, "listener removed");
    }
    for (const key of ["\u0003", "\u0004"]) {
      const tty = new FakeTerminal();
      const read = readHiddenLine(tty, tty, "passphrase: ");
      tty.type(key);
      await assert.rejects(read, (err: unknown) => err instanceof CliError && err.message === "cancelled", JSON.stringify(key));
      assert.equal(tty.isRaw, false, "restored after a cancel");
    }
  });
});
