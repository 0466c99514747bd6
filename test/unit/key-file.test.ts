/**
 * Key files: the one JSON format for consensus, issuer and p2p keys — encrypted round trips, a wrong
 * passphrase, tampered ciphertext, tag and header, plaintext only when allowed, permissions refused
 * as ssh refuses them, and a p2p key's stable peer id.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LedgerError } from "../../node/errors.js";
import { type KeyProtection, generateKeyPair, inspectKeyFile, loadKeyFile, saveKeyFile } from "../../node/keys/key-file.js";
import { makePrivateDir } from "../../node/keys/private-file.js";
import { createPeerKeyFile, loadPeerKey, peerIdOf } from "../../node/network/identity.js";

/** Cheaper than the default (2^16) so the table runs quickly; the files record what they used. */
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const PASS = "correct horse battery staple";
const encrypted: KeyProtection = { passphrase: PASS, scrypt: FAST };

/** Expect `promise` to reject with a LedgerError whose message is `message` (a string: exactly; a RegExp: matching). */
async function refused(promise: Promise<unknown>, message: string | RegExp, what: string): Promise<void> {
  await assert.rejects(
    promise,
    (err: unknown) => err instanceof LedgerError && (typeof message === "string" ? err.message === message : message.test(err.message)),
    what,
  );
}

describe("key files", function () {
  this.timeout(60_000);
  let dir: string;
  let n = 0;
  const fresh = (): string => join(dir, `k${++n}.key`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-keys-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips every kind of key, encrypted or (when allowed) plaintext, written 0600", async () => {
    const cases: Array<[string, KeyProtection, string | undefined]> = [
      ["encrypted consensus key", encrypted, "consensus"],
      ["encrypted issuer key", encrypted, "issuer:market-regulation"],
      ["encrypted key without a role", encrypted, undefined],
      ["plaintext consensus key", { plaintext: true }, "consensus"],
    ];
    for (const [what, protection, role] of cases) {
      const file = fresh();
      const pair = generateKeyPair();
      await saveKeyFile(file, pair, protection, role);
      assert.equal((await stat(file)).mode & 0o777, 0o600, `${what}: mode`);
      const loaded = await loadKeyFile(file, { passphrase: PASS, allowPlaintext: "plaintext" in protection });
      assert.deepEqual([loaded.publicKey, loaded.privateKey, loaded.role], [pair.publicKey, pair.privateKey, role], what);
      const info = await inspectKeyFile(file);
      assert.deepEqual([info.publicKey, info.role, info.encryption], [pair.publicKey, role, "plaintext" in protection ? null : FAST], `${what}: inspect`);
    }
  });

  it("encrypts with scrypt N=2^16, r=8, p=1 by default and keeps the public header in the clear", async () => {
    const file = fresh();
    const pair = generateKeyPair();
    await saveKeyFile(file, pair, { passphrase: PASS }, "consensus");
    const stored = JSON.parse(await readFile(file, "utf8"));
    assert.deepEqual(Object.keys(stored), ["type", "role", "publicKey", "encryption"]);
    assert.deepEqual([stored.encryption.kdf, stored.encryption.N, stored.encryption.r, stored.encryption.p], ["scrypt", 65536, 8, 1]);
    assert.equal(stored.encryption.cipher, "aes-256-gcm");
    assert.equal((await loadKeyFile(file, { passphrase: PASS })).privateKey, pair.privateKey);
  });

  it("refuses a wrong passphrase, a missing one, and plaintext without the flag, each in one line naming the file", async () => {
    const file = fresh();
    await saveKeyFile(file, generateKeyPair(), encrypted, "consensus");
    const plain = fresh();
    await saveKeyFile(plain, generateKeyPair(), { plaintext: true }, "consensus");
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ["wrong passphrase", () => loadKeyFile(file, { passphrase: "not it" }), `wrong passphrase for ${file} (or the file was altered)`],
      ["no passphrase", () => loadKeyFile(file, {}), `${file} is encrypted and no passphrase was given`],
      [
        "plaintext not allowed",
        () => loadKeyFile(plain, { passphrase: PASS }),
        `${plain} holds its private key in plaintext; encrypt it (certchain keys encrypt ${plain}) or allow plaintext keys (--plaintext-keys)`,
      ],
    ];
    for (const [what, load, message] of cases) await refused(load(), message, what);
  });

  it("refuses an empty passphrase when writing", async () => {
    const file = fresh();
    await refused(saveKeyFile(file, generateKeyPair(), { passphrase: "" }), "an empty passphrase is refused", "empty");
    await assert.rejects(stat(file), "nothing written");
  });

  it("unlocks a passphrase typed in another Unicode normal form (NFC and NFD)", async () => {
    const file = fresh();
    const pair = generateKeyPair();
    await saveKeyFile(file, pair, { passphrase: "caf\u00e9", scrypt: FAST });
    assert.equal((await loadKeyFile(file, { passphrase: "cafe\u0301" })).privateKey, pair.privateKey);
  });

  it("refuses a file whose ciphertext, tag, iv, salt, cost or header was altered", async () => {
    const other = generateKeyPair();
    const flip = (hex: string): string => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
    const cases: Array<[string, (f: Record<string, unknown> & { encryption: Record<string, unknown> }) => void]> = [
      [
        "ciphertext",
        (f) => {
          f.encryption.ciphertext = flip(f.encryption.ciphertext as string);
        },
      ],
      [
        "tag",
        (f) => {
          f.encryption.tag = flip(f.encryption.tag as string);
        },
      ],
      [
        "iv",
        (f) => {
          f.encryption.iv = flip(f.encryption.iv as string);
        },
      ],
      [
        "salt",
        (f) => {
          f.encryption.salt = flip(f.encryption.salt as string);
        },
      ],
      [
        "N",
        (f) => {
          f.encryption.N = 2 ** 15;
        },
      ],
      [
        "role",
        (f) => {
          f.role = "issuer:housing";
        },
      ],
      [
        "role removed",
        (f) => {
          delete f.role;
        },
      ],
      [
        "public key swapped",
        (f) => {
          f.publicKey = other.publicKey;
        },
      ],
    ];
    for (const [what, alter] of cases) {
      const file = fresh();
      await saveKeyFile(file, generateKeyPair(), encrypted, "consensus");
      const stored = JSON.parse(await readFile(file, "utf8"));
      alter(stored);
      await writeFile(file, JSON.stringify(stored), { mode: 0o600 });
      await refused(loadKeyFile(file, { passphrase: PASS }), `wrong passphrase for ${file} (or the file was altered)`, what);
    }
  });

  it("refuses malformed files with one line naming the file and the member", async () => {
    const base = async (): Promise<Record<string, unknown> & { encryption: Record<string, unknown> }> => {
      const file = fresh();
      await saveKeyFile(file, generateKeyPair(), encrypted, "consensus");
      return JSON.parse(await readFile(file, "utf8"));
    };
    const cases: Array<[string, (f: Record<string, unknown> & { encryption: Record<string, unknown> }) => unknown, RegExp]> = [
      ["unknown member", (f) => ({ ...f, extra: 1 }), /unknown member extra/],
      ["both forms", (f) => ({ ...f, privateKey: "00".repeat(32) }), /exactly one of privateKey and encryption/],
      ["neither form", (f) => ({ ...f, encryption: undefined }), /exactly one of privateKey and encryption/],
      ["peer id on a consensus key", (f) => ({ ...f, peerId: "12D3KooW" }), /only a p2p key has a peerId/],
      ["memory-hungry cost", (f) => ({ ...f, encryption: { ...f.encryption, N: 2 ** 20 } }), /more than 256 MiB/],
      ["weak cost", (f) => ({ ...f, encryption: { ...f.encryption, N: 2 ** 10 } }), /power of two of at least 16384/],
      ["not a power of two", (f) => ({ ...f, encryption: { ...f.encryption, N: 65535 } }), /power of two/],
      ["other cipher", (f) => ({ ...f, encryption: { ...f.encryption, cipher: "aes-128-gcm" } }), /cipher must be aes-256-gcm/],
      ["short tag", (f) => ({ ...f, encryption: { ...f.encryption, tag: "00" } }), /tag must be 16 bytes/],
      ["not JSON", () => "{", /not a key file \(not JSON\)/],
    ];
    for (const [what, make, message] of cases) {
      const file = fresh();
      const value = make(await base());
      await writeFile(file, typeof value === "string" ? value : JSON.stringify(value), { mode: 0o600 });
      await refused(loadKeyFile(file, { passphrase: PASS }), message, what);
    }
  });

  it("refuses a key file group or others may access, naming the file, the mode and the fix (as ssh does)", async () => {
    const cases: Array<[number, boolean]> = [
      [0o600, true],
      [0o400, true],
      [0o640, false],
      [0o604, false],
      [0o620, false],
      [0o644, false],
      [0o660, false],
    ];
    for (const [mode, accepted] of cases) {
      const file = fresh();
      const pair = generateKeyPair();
      await saveKeyFile(file, pair, encrypted, "consensus");
      await chmod(file, mode);
      const what = mode.toString(8);
      if (accepted) assert.equal((await loadKeyFile(file, { passphrase: PASS })).publicKey, pair.publicKey, what);
      else {
        const line = `permissions 0${what} for ${file} are too open; chmod 600 ${file}`;
        await refused(loadKeyFile(file, { passphrase: PASS }), line, what);
        // Refused before a passphrase is asked for; `keys show` still reads it and reports the mode.
        await refused(inspectKeyFile(file), line, `${what}: inspect`);
      }
      assert.equal((await inspectKeyFile(file, { allowOpen: true })).mode, mode, `${what}: mode reported`);
    }
  });

  it("refuses what is not a regular file (a directory, a FIFO) without waiting on it", async () => {
    const fifo = join(dir, "fifo.key");
    execFileSync("mkfifo", [fifo]);
    for (const path of [dir, fifo]) await refused(loadKeyFile(path, { passphrase: PASS }), `${path} is not a regular file`, path);
  });

  it("replaces an existing file in one step: 0600 even over a 0644 file, no temporary file left", async () => {
    const sub = join(dir, "replace");
    await makePrivateDir(sub);
    const file = join(sub, "consensus.key");
    await writeFile(file, "old", { mode: 0o644 });
    await saveKeyFile(file, generateKeyPair(), encrypted, "consensus");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(sub), ["consensus.key"]);
    assert.equal((await stat(sub)).mode & 0o777, 0o700, "private directory");
  });

  it("p2p keys: the peer id is stored, stable across loads and re-encryption, and checked against the key", async () => {
    const file = fresh();
    const { peerId } = await createPeerKeyFile(file, encrypted);
    const first = await loadPeerKey(file, { passphrase: PASS });
    const again = await loadPeerKey(file, { passphrase: PASS });
    assert.deepEqual([peerIdOf(first), peerIdOf(again)], [peerId, peerId]);
    assert.equal(first.type, "Ed25519");
    const info = await inspectKeyFile(file);
    assert.deepEqual([info.role, info.peerId], ["p2p", peerId]);
    // Re-encrypted under another passphrase (keys change-passphrase): same identity.
    const key = await loadKeyFile(file, { passphrase: PASS });
    await saveKeyFile(file, key, { passphrase: "another", scrypt: FAST }, key.role, key.peerId);
    assert.equal(peerIdOf(await loadPeerKey(file, { passphrase: "another" })), peerId);
    // The libp2p public key is the file's Ed25519 public key.
    assert.equal(Buffer.from(first.publicKey.raw).toString("hex"), info.publicKey);

    // A plaintext p2p file has no AEAD: a peer id edited in it is caught by the check against the key.
    const plain = fresh();
    const other = await createPeerKeyFile(fresh(), { plaintext: true });
    await createPeerKeyFile(plain, { plaintext: true });
    const stored = JSON.parse(await readFile(plain, "utf8"));
    const real = stored.peerId;
    stored.peerId = other.peerId;
    await writeFile(plain, JSON.stringify(stored), { mode: 0o600 });
    await refused(loadPeerKey(plain, { allowPlaintext: true }), `${plain}: the key's peer id is ${real}, the file says ${other.peerId}`, "edited peer id");
    // Nor may a consensus key pass for a p2p key.
    const consensus = fresh();
    await saveKeyFile(consensus, generateKeyPair(), { plaintext: true }, "consensus");
    await refused(loadPeerKey(consensus, { allowPlaintext: true }), `${consensus} is not a p2p key file (role consensus)`, "consensus key as p2p key");
  });
});
