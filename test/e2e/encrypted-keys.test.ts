/**
 * Keys encrypted at rest, as an operator meets them: `certchain init` with a passphrase file (homes
 * 0700, key files 0600), `certchain start` refusing a wrong passphrase, a missing one and a too open
 * key file, then a validator started with --passphrase-file and a follower with
 * $CERTCHAIN_PASSPHRASE_FILE; `cert issue --key` with an encrypted issuer key; `keys show | encrypt |
 * change-passphrase`; and a scan showing that no file of the directory — key files, config, LevelDB,
 * logs — holds a private key's seed raw, in hex or in base64/base64url.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadKeyFile } from "../../node/keys/key-file.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const BIN = fileURLToPath(new URL("../../../bin/certchain.js", import.meta.url));
/** The environment of every spawned command: no passphrase source but the ones a test gives. */
const ENV = { ...process.env, CERTCHAIN_PASSPHRASE_FILE: "", CERTCHAIN_RPC: "", CERTCHAIN_DEBUG: "" };

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    // stdin is not a terminal here (execFile pipes it), so a command that would prompt must refuse.
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000, env: { ...ENV, ...env } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code as number) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * The forms a 32-byte seed could be written in: raw bytes, hex (either case), and base64 and base64url
 * at each of the three alignments it could have inside a longer encoding (only the characters that
 * depend on the seed alone).
 */
function seedForms(seedHex: string): Array<[string, Buffer]> {
  const seed = Buffer.from(seedHex, "hex");
  const forms: Array<[string, Buffer]> = [
    ["raw", seed],
    ["hex", Buffer.from(seedHex)],
    ["HEX", Buffer.from(seedHex.toUpperCase())],
  ];
  for (const shift of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(shift), seed]);
    for (const encoding of ["base64", "base64url"] as const) {
      const text = shifted.toString(encoding);
      forms.push([`${encoding}+${shift}`, Buffer.from(text.slice(shift === 0 ? 0 : 4, text.length - 4))]);
    }
  }
  return forms;
}

/** The form in which `content` holds the seed, if it does. */
function seedIn(content: Buffer, seedHex: string): string | undefined {
  return seedForms(seedHex).find(([, bytes]) => content.includes(bytes))?.[0];
}

describe("e2e: keys encrypted at rest", function () {
  this.timeout(180_000);
  let dir: string;
  let net: string;
  let pass: string;
  let base: number;
  const started: ChildProcess[] = [];
  const home = (name: string): string => join(net, name);
  const rpcUrl = (i: number): string => `http://127.0.0.1:${base + 100 + i}`;

  /** `certchain start` as a child process; resolves once it answers GET /status. */
  async function startNode(name: string, i: number, args: string[], env: Record<string, string> = {}): Promise<void> {
    const child = spawn(process.execPath, [BIN, "start", "--home", home(name), "--log-level", "warn", ...args], {
      env: { ...ENV, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.push(child);
    let output = "";
    const collect = (d: Buffer): void => {
      output += d.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    await waitFor(
      `${name} answers`,
      async () => {
        if (child.exitCode !== null) throw new assert.AssertionError({ message: `${name} exited ${child.exitCode}: ${output}` });
        return (await rpc(rpcUrl(i), "/status")).status === 200;
      },
      60_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${output}`);
    });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-enc-"));
    net = join(dir, "net");
    pass = join(dir, "passphrase");
    await writeFile(pass, "correct horse battery staple\n", { mode: 0o600 });
    base = await freeBasePort(2);
  });

  after(async () => {
    for (const child of started) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("init writes every key encrypted under the passphrase: homes 0700, key files 0600", async () => {
    const r = await cli(["init", "--dir", net, "--validators", "1", "--followers", "1", "--base-port", String(base), "--passphrase-file", pass]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes("plaintext"), "no plaintext warning");
    for (const d of ["node1", "follower1"]) assert.equal((await stat(join(net, d))).mode & 0o777, 0o700, `${d} is 0700`);
    const keyFiles = (await filesUnder(net)).filter((f) => f.endsWith(".key"));
    assert.equal(keyFiles.length, 1 + 1 + 2, "the validator's department's issuer key, 1 consensus key, 2 p2p keys");
    for (const f of keyFiles) {
      assert.equal((await stat(f)).mode & 0o777, 0o600, `${f} is 0600`);
      assert.ok(!("privateKey" in JSON.parse(await readFile(f, "utf8"))), `${f} is encrypted`);
    }
  });

  it("start refuses a wrong passphrase, a missing one and a too open key file, each in one line", async () => {
    const wrong = join(dir, "wrong");
    await writeFile(wrong, "not the passphrase\n", { mode: 0o600 });
    const consensusKey = join(home("node1"), "consensus.key");
    const cases: Array<[string, string[], number, string]> = [
      ["wrong passphrase", ["--passphrase-file", wrong], 1, `certchain: CONFIG: wrong passphrase for ${consensusKey} (or the file was altered)`],
      [
        "no passphrase, no terminal",
        [],
        2,
        `certchain: a passphrase is needed for the keys of ${home("node1")}: give --passphrase-file FILE or set CERTCHAIN_PASSPHRASE_FILE (no terminal to ask on) (see certchain start --help)`,
      ],
      ["--plaintext-keys does not unlock", ["--plaintext-keys"], 2, "certchain: a passphrase is needed for"],
    ];
    for (const [what, args, code, line] of cases) {
      const r = await cli(["start", "--home", home("node1"), ...args]);
      assert.equal(r.code, code, `${what}: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, `${what}: one line: ${r.stderr}`);
      assert.ok(r.stderr.startsWith(line), `${what}: ${r.stderr}`);
    }
    await chmod(consensusKey, 0o640);
    const open = await cli(["start", "--home", home("node1"), "--passphrase-file", pass]);
    await chmod(consensusKey, 0o600);
    assert.equal(open.code, 1, open.stderr);
    assert.equal(open.stderr.trim(), `certchain: CONFIG: permissions 0640 for ${consensusKey} are too open; chmod 600 ${consensusKey}`);
    await chmod(pass, 0o604);
    const openPass = await cli(["start", "--home", home("node1"), "--passphrase-file", pass]);
    await chmod(pass, 0o600);
    assert.equal(openPass.stderr.trim(), `certchain: CONFIG: permissions 0604 for ${pass} are too open; chmod 600 ${pass}`);
  });

  it("a validator starts with --passphrase-file, a follower with $CERTCHAIN_PASSPHRASE_FILE; an encrypted issuer key issues", async () => {
    await startNode("node1", 0, ["--passphrase-file", pass]);
    await startNode("follower1", 1, [], { CERTCHAIN_PASSPHRASE_FILE: pass });
    const show = await cli(["keys", "show", join(home("node1"), "p2p.key")]);
    assert.equal(show.code, 0, show.stderr);
    const status = await rpc<{ node: { peerId: string } }>(rpcUrl(0), "/status");
    assert.match(show.stdout, new RegExp(`^peer id {6}${status.body.node.peerId}$`, "m"), "keys show p2p.key names the running node's peer id");
    assert.match(show.stdout, /^encrypted {4}yes: scrypt N=65536 r=8 p=1, AES-256-GCM$/m);

    const issuerKey = join(home("node1"), "issuer.key"); // node1 is public security's (the template's first department)
    const issue = (extra: string[]): Promise<CliResult> =>
      cli([
        ...["cert", "issue", "--rpc", rpcUrl(0), "--json", "--type", "identity-proof", "--holder-name", "Zhang San"],
        ...["--holder-id-type", "resident-id", "--holder-id", "110101199003070011", "--field", "dateOfBirth=1990-03-07"],
        ...["--key", issuerKey, "--out", join(dir, `doc-${extra.length}.json`), ...extra],
      ]);
    const locked = await issue([]);
    assert.equal(locked.code, 2, "no passphrase for the issuer key");
    assert.match(locked.stderr, new RegExp(`a passphrase is needed for ${issuerKey}`));
    const ok = await issue(["--passphrase-file", pass]);
    assert.equal(ok.code, 0, ok.stderr);
    const { certificateId } = JSON.parse(ok.stdout) as { certificateId: string };
    const verify = await cli(["cert", "verify", "--id", certificateId, "--rpc", rpcUrl(1)]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    await waitFor("the follower has it", async () => (await rpc(rpcUrl(1), `/certificates/${certificateId}`)).status === 200);
  });

  it("keys encrypt, change-passphrase and show work on a key file and keep it 0600", async () => {
    const file = join(dir, "spare.key");
    const gen = await cli(["keys", "generate", "--out", file, "--p2p", "--plaintext-keys"]);
    assert.equal(gen.code, 0, gen.stderr);
    const peerId = gen.stdout.trim();
    const again = await cli(["keys", "encrypt", file, "--passphrase-file", pass]);
    assert.deepEqual([again.code, again.stdout.trim()], [0, `encrypted ${file}`], again.stderr);
    const twice = await cli(["keys", "encrypt", file, "--passphrase-file", pass]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /is already encrypted; to change its passphrase: certchain keys change-passphrase/);

    const next = join(dir, "next-passphrase");
    await writeFile(next, "a new passphrase\n", { mode: 0o600 });
    const wrongOld = await cli(["keys", "change-passphrase", file, "--passphrase-file", next, "--new-passphrase-file", pass]);
    assert.deepEqual([wrongOld.code, wrongOld.stderr.trim()], [1, `certchain: CONFIG: wrong passphrase for ${file} (or the file was altered)`]);
    const changed = await cli(["keys", "change-passphrase", file, "--new-passphrase-file", next], { CERTCHAIN_PASSPHRASE_FILE: pass });
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal((await stat(file)).mode & 0o777, 0o600, "still 0600");
    const loaded = await loadKeyFile(file, { passphrase: "a new passphrase" });
    assert.equal(loaded.peerId, peerId, "same identity");
    await assert.rejects(loadKeyFile(file, { passphrase: "correct horse battery staple" }), /wrong passphrase/);
    const show = await cli(["keys", "show", file]);
    assert.match(show.stdout, new RegExp(`^peer id {6}${peerId}$`, "m"));
    assert.match(show.stdout, /^role {9}p2p$/m);
  });

  it("no file in the directory holds a private key's seed, raw, in hex or in base64", async () => {
    const files = await filesUnder(dir);
    const keyFiles = files.filter((f) => f.endsWith(".key"));
    const seeds = await Promise.all(
      keyFiles.map(
        async (f) => (await loadKeyFile(f, { passphrase: f.endsWith("spare.key") ? "a new passphrase" : "correct horse battery staple" })).privateKey,
      ),
    );
    assert.equal(seeds.length, 5, "the homes' four keys and the spare one");
    assert.ok(
      files.some((f) => f.includes(`${join("node1", "data")}`)),
      "the scan covers LevelDB",
    );
    // The scan finds what it looks for: a seed embedded at any offset of a longer encoding.
    const seed = seeds[0] as string;
    const wrapped = (prefix: number, encoding: BufferEncoding): Buffer =>
      Buffer.from(Buffer.concat([Buffer.alloc(prefix, 7), Buffer.from(seed, "hex"), Buffer.alloc(5, 9)]).toString(encoding));
    for (const prefix of [0, 1, 2, 3, 4, 5]) {
      for (const encoding of ["hex", "base64", "base64url"] as const)
        assert.ok(seedIn(wrapped(prefix, encoding), seed) !== undefined, `${encoding} at ${prefix}`);
    }
    assert.equal(seedIn(Buffer.from(JSON.stringify({ privateKey: seed.toUpperCase() })), seed), "HEX");
    for (const f of files) {
      const content = await readFile(f);
      for (const [i, s] of seeds.entries()) assert.equal(seedIn(content, s), undefined, `${f} holds the seed of ${keyFiles[i]}`);
    }
  });
});
