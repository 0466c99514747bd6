import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { canonicalize } from "../../node/crypto/jcs.js";
import { Domain, hashCanonical, taggedHash } from "../../node/crypto/hash.js";
import { publicKeyOf, signBytes, verifyBytes } from "../../node/crypto/keys.js";
import { generateKeyPair } from "../../node/keys/key-file.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("canonical JSON (RFC 8785)", () => {
  const cases: Array<[string, unknown, string]> = [
    ["sorts keys", { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ["nested and arrays keep order", { z: [3, 1, { y: true, x: null }] }, '{"z":[3,1,{"x":null,"y":true}]}'],
    ["no whitespace", { a: "b c" }, '{"a":"b c"}'],
    // RFC 8785 §3.2.2.3 number serialisation samples
    ["numbers: exponent", 1e30, "1e+30"],
    ["numbers: trailing zero", 4.5, "4.5"],
    ["numbers: small", 0.002, "0.002"],
    ["numbers: tiny", 1e-7, "1e-7"],
    ["numbers: negative zero", -0, "0"],
    ["numbers: max safe", 9007199254740991, "9007199254740991"],
    // RFC 8785 §3.2.2.2 string escaping sample
    ["strings", "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/", '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'],
    // RFC 8785 §3.2.3 sorting by UTF-16 code units
    [
      "sorting by UTF-16 units",
      {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
      },
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    ],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(canonicalize(input), expected, name));
  }

  const bad: Array<[string, unknown]> = [
    ["NaN", Number.NaN],
    ["Infinity", { a: Number.POSITIVE_INFINITY }],
    ["undefined member", { a: undefined }],
    ["function", { f: () => 1 }],
    ["class instance", { d: new Date() }],
    ["bigint", 1n],
  ];
  for (const [name, input] of bad) {
    it(`refuses ${name}`, () => assert.throws(() => canonicalize(input), /canonical/, name));
  }
});

describe("domain-separated hashing", () => {
  it("the same bytes under two tags hash differently", () => {
    const data = Buffer.from("same");
    assert.notEqual(hex(taggedHash(Domain.TX, data)), hex(taggedHash(Domain.BLOCK, data)));
  });
  it("hashCanonical ignores key order", () => {
    assert.equal(hashCanonical(Domain.TX, { a: 1, b: 2 }), hashCanonical(Domain.TX, { b: 2, a: 1 }));
  });
});

describe("Ed25519 on node:crypto, cross-checked against @noble/curves", () => {
  // RFC 8032 §7.1 test vectors 1-3.
  const vectors = [
    {
      secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      message: "",
      signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    {
      secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      message: "72",
      signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
    {
      secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
      public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
      message: "af82",
      signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    },
  ];
  for (const [i, v] of vectors.entries()) {
    it(`RFC 8032 vector ${i + 1}: public key, signature and verification agree`, () => {
      const msg = Buffer.from(v.message, "hex");
      assert.equal(publicKeyOf(v.secret), v.public, "node:crypto public key");
      assert.equal(hex(ed25519.getPublicKey(Buffer.from(v.secret, "hex"))), v.public, "noble public key");
      assert.equal(signBytes(v.secret, msg), v.signature, "node:crypto signature");
      assert.equal(hex(ed25519.sign(msg, Buffer.from(v.secret, "hex"))), v.signature, "noble signature");
      assert.ok(verifyBytes(v.public, msg, v.signature), "node:crypto verifies");
      assert.ok(ed25519.verify(Buffer.from(v.signature, "hex"), msg, Buffer.from(v.public, "hex")), "noble verifies");
    });
  }

  it("random keys: node:crypto signatures verify under noble and vice versa", () => {
    for (let i = 0; i < 20; i++) {
      const k = generateKeyPair();
      const msg = Buffer.from(`message ${i}`);
      const sig = signBytes(k.privateKey, msg);
      assert.ok(ed25519.verify(Buffer.from(sig, "hex"), msg, Buffer.from(k.publicKey, "hex")), `noble verifies node sig ${i}`);
      const nobleSig = hex(ed25519.sign(msg, Buffer.from(k.privateKey, "hex")));
      assert.ok(verifyBytes(k.publicKey, msg, nobleSig), `node verifies noble sig ${i}`);
    }
  });

  const rejects: Array<[string, (k: { publicKey: string; sig: string; msg: Buffer }) => [string, Buffer, string]]> = [
    ["a changed message", (k) => [k.publicKey, Buffer.from("other"), k.sig]],
    ["a flipped signature bit", (k) => [k.publicKey, k.msg, (k.sig[0] === "0" ? "1" : "0") + k.sig.slice(1)]],
    ["another key", (k) => [generateKeyPair().publicKey, k.msg, k.sig]],
    ["a malformed key", (k) => ["zz", k.msg, k.sig]],
    ["a short signature", (k) => [k.publicKey, k.msg, k.sig.slice(2)]],
  ];
  for (const [name, mutate] of rejects) {
    it(`verify is false (not a throw) for ${name}`, () => {
      const key = generateKeyPair();
      const msg = Buffer.from("hello");
      const [pub, m, sig] = mutate({ publicKey: key.publicKey, sig: signBytes(key.privateKey, msg), msg });
      assert.equal(verifyBytes(pub, m, sig), false, name);
    });
  }
});
