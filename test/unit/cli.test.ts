/**
 * The CLI: argument parsing, document building and the error → exit code mapping as pure functions,
 * then the real `certchain` binary spawned for help, usage errors, key files and an unreachable node.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CERTIFICATE_ID } from "../../node/chain/tx.js";
import type { CertificateType } from "../../node/chain/types.js";
import { EXIT, LedgerError } from "../../node/errors.js";
import type { CertificateView, VerificationResult } from "../../node/api/views.js";
import { DEFAULT_RPC_URL, intFlag, parseCommandArgs, rpcUrlFlag, wantsHelp } from "../../cli/args.js";
import { buildDocument, defaultCertificateId, parseFieldAssignments, typePrefix, validityPeriod } from "../../cli/commands/cert/document.js";
import { verdictLine } from "../../cli/commands/cert/verify.js";
import { CliError, NodeError, UnreachableError, UsageError, errorLine, exitCodeFor } from "../../cli/errors.js";
import type { CliIo } from "../../cli/io.js";
import { runCli } from "../../cli/main.js";
import { parseLinks } from "../../cli/commands/cert/holder.js";
import { formatCertificate } from "../../cli/commands/cert/show.js";
import { linkBase } from "../../cli/commands/cert/publish.js";
import { DAY, T0, documentFor, makeTestChain, person } from "../helpers/chain.js";

const BIN = fileURLToPath(new URL("../../../bin/certchain.js", import.meta.url));
const chain = makeTestChain();
const typeOf = (id: string): CertificateType => chain.spec.certificateType(id) as CertificateType;

/** Expect `fn` to throw a UsageError whose message matches. */
function usageError(fn: () => unknown, message: RegExp, what: string): void {
  assert.throws(fn, (err: unknown) => err instanceof UsageError && message.test(err.message), what);
}

/** An io that records lines. */
function bufferIo(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env };
}

describe("cli: argument parsing", () => {
  it("finds --help and -h before --", () => {
    const cases: Array<[string[], boolean]> = [
      [["--help"], true],
      [["--out", "x", "-h"], true],
      [["--", "--help"], false],
      [["--out", "help"], false],
      [[], false],
    ];
    for (const [argv, expected] of cases) assert.equal(wantsHelp(argv), expected, argv.join(" "));
  });

  it("turns parseArgs errors into short usage errors naming the problem", () => {
    const options = { out: { type: "string" as const }, force: { type: "boolean" as const } };
    const cases: Array<[string[], RegExp]> = [
      [["--bogus"], /^unknown option --bogus$/],
      [["-x"], /^unknown option -x$/],
      [["--out"], /^option --out needs a value$/],
      [["--force=yes"], /^option --force takes no value$/],
      [["--out", "--force"], /^option --out needs a value/],
      [["stray"], /^unexpected argument stray$/],
    ];
    for (const [argv, message] of cases) usageError(() => parseCommandArgs("keys generate", argv, options), message, argv.join(" "));
    assert.deepEqual({ ...parseCommandArgs("x", ["--out", "k", "--force"], options).values }, { out: "k", force: true });
    assert.deepEqual(parseCommandArgs("x", ["FILE"], {}, 1).positionals, ["FILE"]);
    usageError(() => parseCommandArgs("x", ["A", "B"], {}, 1), /unexpected argument B/, "two positionals");
  });

  it("checks integer flags against their range", () => {
    const parse = (argv: string[]) => parseCommandArgs("init", argv, { validators: { type: "string" } });
    assert.equal(intFlag("init", parse([]), "validators", 4, 1, 64), 4, "default");
    assert.equal(intFlag("init", parse(["--validators", "7"]), "validators", 4, 1, 64), 7);
    for (const bad of ["0", "65", "1.5", "x", "9999999999999999999"]) {
      usageError(() => intFlag("init", parse(["--validators", bad]), "validators", 4, 1, 64), /--validators must be/, bad);
    }
  });

  it("takes the RPC URL from --rpc, then CERTCHAIN_RPC, then node 1 of the default testnet", () => {
    const parse = (argv: string[]) => parseCommandArgs("status", argv, { rpc: { type: "string" } });
    assert.equal(rpcUrlFlag("status", parse([]), {}), DEFAULT_RPC_URL);
    assert.equal(rpcUrlFlag("status", parse([]), { CERTCHAIN_RPC: "http://10.0.0.1:8080/" }), "http://10.0.0.1:8080", "env, trailing slash dropped");
    assert.equal(rpcUrlFlag("status", parse(["--rpc", "https://node.example"]), { CERTCHAIN_RPC: "http://x" }), "https://node.example", "flag wins");
    for (const bad of ["nope", "ftp://x", "localhost:26700"]) usageError(() => rpcUrlFlag("status", parse(["--rpc", bad]), {}), /--rpc must be an http/, bad);
  });
});

describe("cli: building a certificate document", () => {
  it("types --field values by the schema", () => {
    const fields = parseFieldAssignments(typeOf("home-purchase-qualification"), ["city=Hang=zhou", "householdType=local", "maxHomes=2"]);
    assert.deepEqual(fields, { city: "Hang=zhou", householdType: "local", maxHomes: 2 });
    const bad: Array<[string, string[], RegExp]> = [
      ["home-purchase-qualification", ["maxHomes=two"], /must be an integer/],
      ["home-purchase-qualification", ["maxHomes=1.5"], /must be an integer/],
      ["home-purchase-qualification", ["colour=red"], /unknown field "colour".*city \(required\)/],
      ["home-purchase-qualification", ["city"], /takes name=value/],
      ["home-purchase-qualification", ["=x"], /takes name=value/],
      ["home-purchase-qualification", ["city=a", "city=b"], /given twice/],
    ];
    for (const [type, assignments, message] of bad) usageError(() => parseFieldAssignments(typeOf(type), assignments), message, assignments.join(" "));
    const boolType: CertificateType = {
      id: "t-x",
      name: { en: "", zh: "" },
      defaultValidityDays: 1,
      maxValidityDays: 1,
      fields: [{ name: "ok", label: { en: "", zh: "" }, kind: "boolean", required: true, public: true }],
    };
    assert.deepEqual(parseFieldAssignments(boolType, ["ok=false"]), { ok: false });
    usageError(() => parseFieldAssignments(boolType, ["ok=yes"]), /true or false/, "boolean");
  });

  it("parses --link name=commitment or name=document into holder commitments", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certchain-cli-link-"));
    try {
      const representative = person("Rep Name", "110101198001010005");
      const docFile = join(dir, "rep.json");
      await writeFile(docFile, JSON.stringify(documentFor(chain, "identity-proof", representative)));
      const licence = typeOf("business-licence");
      assert.deepEqual(await parseLinks("cert issue", chain.spec, licence, [`legalRepresentative=${docFile}`]), {
        legalRepresentative: representative.commitment,
      });
      const hex = "ab".repeat(32);
      assert.deepEqual(await parseLinks("cert issue", chain.spec, licence, [`legalRepresentative=${hex}`]), { legalRepresentative: hex });
      assert.equal(await parseLinks("cert issue", chain.spec, licence, []), undefined);
      const bad: Array<[CertificateType, string[], RegExp]> = [
        [licence, ["spouse=ab"], /has no link "spouse"; its links are legalRepresentative/],
        [typeOf("identity-proof"), [`legalRepresentative=${hex}`], /identity-proof has no link/],
        [licence, ["legalRepresentative"], /takes name=commitment/],
        [licence, [`legalRepresentative=${hex}`, `legalRepresentative=${hex}`], /given twice/],
      ];
      for (const [type, assignments, message] of bad) {
        await assert.rejects(
          parseLinks("cert issue", chain.spec, type, assignments),
          (e: unknown) => e instanceof UsageError && message.test(e.message),
          assignments.join(" "),
        );
      }
      await assert.rejects(parseLinks("cert issue", chain.spec, licence, [`legalRepresentative=${join(dir, "missing.json")}`]), /cannot read document/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("shows a renewal, its supersession and links in cert show", () => {
    const record = {
      id: "HPQ-2",
      certificateType: "home-purchase-qualification",
      department: "housing",
      holderCommitment: "11".repeat(32),
      documentDigest: "22".repeat(32),
      publicFields: { city: "Hangzhou" },
      validFrom: 0,
      validUntil: DAY,
      links: { legalRepresentative: "33".repeat(32) },
      revoked: false,
      supersedes: "HPQ-1",
      supersededBy: "HPQ-3",
      history: [],
    };
    const view: CertificateView = {
      record,
      status: "superseded",
      checkedAt: 1000,
      checkedAtHeight: 7,
      department: { id: "housing", name: { en: "Housing", zh: "住建" } },
      type: { id: "home-purchase-qualification", name: { en: "Q", zh: "Q" } },
      issued: { height: 1, time: 0, txHash: "aa" },
      superseded: { height: 5, time: 500, txHash: "bb", by: "HPQ-3" },
    };
    const text = formatCertificate(view).join("\n");
    assert.match(text, /status {13}superseded \(at block 7, /);
    assert.match(text, /renews {13}HPQ-1/);
    assert.match(text, /superseded {9}by HPQ-3, block 5/);
    assert.match(text, new RegExp(`link legalRepresentative ${"33".repeat(32)}`));
  });

  it("makes default ids <PREFIX>-<YYYYMMDD>-<8 hex> that the ledger accepts", () => {
    const cases: Array<[string, string]> = [
      ["business-licence", "BL"],
      ["identity-proof", "IP"],
      ["home-purchase-qualification", "HPQ"],
      ["administrative-approval", "AA"],
    ];
    for (const [type, prefix] of cases) {
      assert.equal(typePrefix(type), prefix, type);
      const id = defaultCertificateId(type, Date.UTC(2026, 10, 23, 23, 59), "1a2b3c4d");
      assert.equal(id, `${prefix}-20261123-1A2B3C4D`, type);
      assert.ok(CERTIFICATE_ID.test(id), `${id} matches the id pattern`);
    }
  });

  it("computes the validity period", () => {
    const now = Date.UTC(2026, 0, 10, 12);
    assert.deepEqual(validityPeriod(now, {}, 180), { validFrom: now, validUntil: now + 180 * DAY }, "type default");
    assert.deepEqual(validityPeriod(now, { validDays: 2 }, 180), { validFrom: now, validUntil: now + 2 * DAY });
    assert.deepEqual(validityPeriod(now, { validUntil: "2026-01-31" }, 180), { validFrom: now, validUntil: Date.UTC(2026, 1, 1) - 1 }, "end of that day");
    const bad: Array<[{ validDays?: number; validUntil?: string }, RegExp]> = [
      [{ validDays: 2, validUntil: "2026-02-01" }, /not both/],
      [{ validUntil: "2026-02-30" }, /must be a date/],
      [{ validUntil: "31.01.2026" }, /must be a date/],
      [{ validUntil: "2026-01-09" }, /in the past/],
    ];
    for (const [opts, message] of bad) usageError(() => validityPeriod(now, opts, 180), message, JSON.stringify(opts));
  });

  it("checks the document as the ledger does and reports problems as usage errors", () => {
    const input: Parameters<typeof buildDocument>[1] = {
      type: typeOf("identity-proof"),
      department: "public-security",
      certificateId: "IP-20260110-00000001",
      holder: { name: "Zhang San", idType: "resident-id", idNumber: "110101199003070011" },
      fields: { dateOfBirth: "1990-03-07" },
      validFrom: T0,
      validUntil: T0 + 30 * DAY,
      holderSalt: "ab".repeat(32),
    };
    const doc = buildDocument(chain.spec, input);
    assert.equal(doc.chainId, chain.spec.chainId);
    assert.equal(doc.version, 1);
    const bad: Array<[Partial<typeof input>, RegExp]> = [
      [{ fields: {} }, /dateOfBirth" is required.*fields are/],
      [{ fields: { dateOfBirth: "1990-02-30" } }, /not a calendar date/],
      [{ certificateId: "x" }, /--id must be/],
      [{ holder: { name: "", idType: "resident-id", idNumber: "1" } }, /holder.name/],
      // the chain's time range and validity bounds (genesis), with their codes
      [{ validFrom: 8.7e15, validUntil: 8.7e15 + DAY }, /^TX_BAD_TIME: validFrom/],
      [{ validUntil: Date.UTC(2300, 0, 1) }, /^TX_BAD_TIME: validUntil/],
      [{ validFrom: 0, validUntil: DAY }, /^TX_BAD_TIME: validFrom/],
      [{ validUntil: T0 + 1 }, /^TX_BAD_VALIDITY: .*at least 1 hour/],
    ];
    for (const [change, message] of bad) usageError(() => buildDocument(chain.spec, { ...input, ...change }), message, JSON.stringify(change));
  });
});

describe("cli: the verification link's base (cert issue, cert renew)", () => {
  const rpc = "http://127.0.0.1:26700";
  const cases: Array<[string, unknown, string]> = [
    ["the node's public URL", "https://certs.example.gov.cn", "https://certs.example.gov.cn"],
    ["a public URL with a path", "https://gov.example.cn/certs", "https://gov.example.cn/certs"],
    ["the node's listen address", "http://10.0.0.5:26700", "http://10.0.0.5:26700"],
    ["a wildcard listen address is no link", "http://0.0.0.0:26700", rpc],
    ["nor is an IPv6 wildcard", "http://[::]:26700", rpc],
    ["a node from before publicUrl", undefined, rpc],
    ["not a URL", "certs.example.gov.cn", rpc],
    ["not http(s)", "javascript:alert(1)", rpc],
  ];
  for (const [name, reported, expected] of cases) it(name, () => assert.equal(linkBase(reported, rpc), expected, name));
});

describe("cli: errors and exit codes", () => {
  it("maps every error to one exit code", () => {
    const cases: Array<[string, unknown, number]> = [
      ["usage", new UsageError("unknown option --x", "keys"), EXIT.USAGE],
      ["unreachable", new UnreachableError("cannot reach node"), EXIT.UNREACHABLE],
      ["cli failure", new CliError("file exists"), EXIT.FAILURE],
      ["cli not valid", new CliError("not valid", EXIT.INVALID), EXIT.INVALID],
      ["node refused a transaction", new NodeError("TX_BAD_SIGNATURE", "issuer signature does not verify", 400), EXIT.FAILURE],
      ["node: not found", new NodeError("NOT_FOUND", "unknown certificate", 404), EXIT.FAILURE],
      ["node: malformed document", new NodeError("DOC_MALFORMED", "not a document", 400), EXIT.INVALID],
      ["rejected receipt", new NodeError("TX_CERT_EXISTS", "exists"), EXIT.FAILURE],
      ["node not ready", new NodeError("NOT_READY", "starting", 503), EXIT.FAILURE],
      ["local ledger error", new LedgerError("CONFIG", "bad key file"), EXIT.FAILURE],
      ["local timeout", new LedgerError("TIMEOUT", "not committed"), EXIT.FAILURE],
      ["system error", Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" }), EXIT.FAILURE],
      ["not an Error", "boom", EXIT.FAILURE],
    ];
    for (const [name, err, code] of cases) assert.equal(exitCodeFor(err), code, name);
  });

  it("prints one line per error, with the ledger code and a help hint for usage errors", () => {
    const cases: Array<[unknown, string]> = [
      [new UsageError("unknown option --x", "cert issue"), "certchain: unknown option --x (see certchain cert issue --help)"],
      [new UsageError('unknown command "foo"'), 'certchain: unknown command "foo" (see certchain --help)'],
      [new NodeError("TX_BAD_SIGNATURE", "issuer signature does not verify", 400), "certchain: TX_BAD_SIGNATURE: issuer signature does not verify"],
      [new LedgerError("CONFIG", "line one\nline two"), "certchain: CONFIG: line one line two"],
      [new UnreachableError("cannot reach node at http://x (ECONNREFUSED)"), "certchain: cannot reach node at http://x (ECONNREFUSED)"],
      [42, "certchain: 42"],
    ];
    for (const [err, line] of cases) assert.equal(errorLine(err), line);
  });

  it("says VALID or NOT VALID in one line, exit 0 or 3", () => {
    const certificate = {
      record: { id: "BL-1", validUntil: Date.UTC(2030, 0, 1) },
      type: { id: "business-licence" },
      department: { id: "market-regulation", name: { en: "Market Regulation Administration" } },
    } as unknown as CertificateView;
    const cases: Array<[VerificationResult | { valid: false; status: "malformed"; reason: string }, string, number]> = [
      [
        { valid: true, status: "valid", reason: "", certificate },
        "VALID: BL-1 business-licence issued by market-regulation (Market Regulation Administration), valid until 2030-01-01",
        0,
      ],
      [{ valid: false, status: "revoked", reason: "revoked: business closed", certificate }, "NOT VALID: revoked: business closed", 3],
      [{ valid: false, status: "mismatch", reason: "document digest does not match" }, "NOT VALID: mismatch: document digest does not match", 3],
      [{ valid: false, status: "unknown", reason: "no certificate BL-9 on this chain" }, "NOT VALID: unknown: unknown certificate BL-9", 3],
      [{ valid: false, status: "malformed", reason: "doc.json is not JSON" }, "NOT VALID: malformed: doc.json is not JSON", 3],
    ];
    for (const [result, line, exitCode] of cases) assert.deepEqual(verdictLine(result, "BL-9"), { line, exitCode }, line);
  });

  it("runCli answers help with 0 and usage errors with 2 and one line", async () => {
    const cases: Array<[string[], number, "stdout" | "stderr", RegExp]> = [
      [["--help"], 0, "stdout", /Usage: certchain <command>/],
      [["cert", "--help"], 0, "stdout", /Usage: certchain cert <command>/],
      [["cert", "issue", "-h"], 0, "stdout", /Usage: certchain cert issue/],
      [["keys", "generate", "--help", "--bogus"], 0, "stdout", /Usage: certchain keys generate/],
      [["frobnicate"], 2, "stderr", /^certchain: unknown command "frobnicate" \(see certchain --help\)$/],
      [["cert", "mint"], 2, "stderr", /^certchain: unknown command "cert mint" \(see certchain cert --help\)$/],
      [["status", "--bogus"], 2, "stderr", /^certchain: unknown option --bogus \(see certchain status --help\)$/],
      [["cert", "verify", "--id", "A-1234", "--document", "x"], 2, "stderr", /exactly one of --id or --document/],
      [["cert", "verify", "--offline", "bundle.json"], 2, "stderr", /--offline needs --genesis FILE/],
      [["cert", "verify", "--offline", "bundle.json", "--genesis", "g.json", "--id", "A-1234"], 2, "stderr", /no --id/],
      [
        ["cert", "issue", "--qr", "code.jpg", "--type", "x", "--holder-name", "a", "--holder-id-type", "b", "--holder-id", "c"],
        2,
        "stderr",
        /must end in .png or .svg/,
      ],
      [["cert", "renew", "-h"], 0, "stdout", /Usage: certchain cert renew --document OLD.json/],
      [["cert", "renew"], 2, "stderr", /--document/],
      [["cert", "issue", "--type", "x", "--holder-document", "d.json", "--holder-name", "a"], 2, "stderr", /--holder-document or --holder-name.*not both/],
      [["soak", "--help"], 0, "stdout", /Usage: certchain soak \[--mode soak\|stress\|spike\]/],
      [["soak", "--bogus"], 2, "stderr", /^certchain: unknown option --bogus \(see certchain soak --help\)$/],
      [["soak", "--mode", "sprint"], 2, "stderr", /^certchain: --mode must be one of soak, stress, spike, not sprint/],
      [["soak", "--duration", "ten"], 2, "stderr", /^certchain: --duration must be a number of 0 or more, not "ten"/],
      [["soak", "--duration", "10", "--sample", "60"], 2, "stderr", /--sample must be positive and at most --duration/],
      [["soak", "--nodes", "3"], 2, "stderr", /--nodes must be from 4 to 31/],
      [[], 2, "stderr", /Usage: certchain/],
    ];
    for (const [argv, code, stream, text] of cases) {
      const io = bufferIo();
      assert.equal(await runCli(argv, io), code, argv.join(" "));
      const lines = stream === "stdout" ? io.stdout : io.stderr;
      assert.match(lines.join("\n"), text, argv.join(" "));
      if (code === 2 && argv.length > 0) assert.equal(io.stderr.length, 1, `${argv.join(" ")}: one line`);
    }
  });

  it("shows a stack trace only with CERTCHAIN_DEBUG=1", async () => {
    const quiet = bufferIo();
    await runCli(["keys", "show", "/nonexistent/key"], quiet);
    assert.equal(quiet.stderr.length, 1, quiet.stderr.join("\n"));
    const debug = bufferIo({ CERTCHAIN_DEBUG: "1" });
    await runCli(["keys", "show", "/nonexistent/key"], debug);
    assert.ok(debug.stderr.length > 1 && /\n\s+at /.test(debug.stderr.join("\n")), "stack printed");
  });
});

describe("cli: the certchain binary", function () {
  this.timeout(30_000);
  let dir: string;

  const certchain = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      env: { ...process.env, CERTCHAIN_DEBUG: "", CERTCHAIN_RPC: "" },
      timeout: 20_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-cli-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("--help prints usage and exits 0", () => {
    for (const args of [["--help"], ["-h"], ["cert", "issue", "--help"], ["testnet", "--help"]]) {
      const r = certchain(...args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: certchain/, args.join(" "));
      assert.equal(r.stderr, "", `${args.join(" ")}: nothing on stderr`);
    }
  });

  it("an unknown command exits 2 with one line on stderr", () => {
    const r = certchain("frobnicate");
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^certchain: unknown command "frobnicate"/);
  });

  it("keys generate writes a 0600 key file, refuses to overwrite it, and keys show prints the same public key", async () => {
    const file = join(dir, "issuer.key");
    const gen = certchain("keys", "generate", "--out", file, "--role", "issuer:housing", "--plaintext-keys");
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(gen.stdout.trim(), /^[0-9a-f]{64}$/);
    assert.equal(gen.stderr.trim(), `${file}: the private key is stored in plaintext: local testnet only`, "says so");
    assert.equal((await stat(file)).mode & 0o777, 0o600, "owner-only");
    const again = certchain("keys", "generate", "--out", file, "--plaintext-keys");
    assert.deepEqual([again.code, again.stderr.trim()], [1, `certchain: ${file} exists; use --force to overwrite it`]);
    const show = certchain("keys", "show", file);
    assert.equal(show.code, 0, show.stderr);
    assert.equal(show.stdout.split("\n")[0], `public key   ${gen.stdout.trim()}`, "same public key");
    assert.match(show.stdout, /^role {9}issuer:housing$/m);
    assert.match(show.stdout, /^encrypted {4}no: the private key is in plaintext$/m);
    assert.ok(!show.stdout.includes("privateKey"), "no private key");
    const forced = certchain("keys", "generate", "--out", file, "--force", "--plaintext-keys");
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(forced.stdout, gen.stdout, "a new key");
    assert.equal((await stat(file)).mode & 0o777, 0o600, "still owner-only");
  });

  it("keys generate without a passphrase source or a terminal is a usage error and writes nothing", async () => {
    const file = join(dir, "nopass.key");
    const r = certchain("keys", "generate", "--out", file);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /a new passphrase for .*nopass\.key is needed: give --passphrase-file FILE or set CERTCHAIN_PASSPHRASE_FILE/);
    await assert.rejects(stat(file), "nothing written");
  });

  it("a node that cannot be reached exits 4", async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const r = certchain("cert", "verify", "--id", "BL-20261123-1A2B3C4D", "--rpc", `http://127.0.0.1:${port}`);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stderr.trim(), `certchain: cannot reach node at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });
});
