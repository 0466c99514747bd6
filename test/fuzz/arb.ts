/**
 * Fuzz inputs (fast-check arbitraries): junk of every JSON and non-JSON shape, mutants of a valid
 * value (a member replaced, deleted, retyped, a prototype key added), and the bytes of either.
 */
import fc from "fast-check";

/** Keys that reach Object.prototype or shadow its methods when code is careless. */
export const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "toJSON"];

/** Numbers that break naive arithmetic, comparisons and serialisation. */
const SPECIAL_NUMBERS = [
  0,
  -0,
  -1,
  0.5,
  1e21,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 31,
  2 ** 32,
  2 ** 64,
  Number.MIN_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** Strings that break naive text handling: lone surrogates, NULs, long runs, look-alike hex and dates. */
const SPECIAL_STRINGS = [
  "",
  "\u0000",
  "\ud800",
  "\udfff",
  "a\ud800b",
  "\ufeff",
  "%00",
  "../../etc/passwd",
  "ab".repeat(32),
  "AB".repeat(32),
  "ab".repeat(64),
  "0x00",
  "2026-01-01T00:00:00Z",
  "1e400",
  "-0",
  "__proto__",
  "<script>",
  "é".repeat(3000),
  "a".repeat(70_000),
];

/** A string: printable, any code unit (lone surrogates included), or one of the special ones. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(..."\ud800\udc00\u0000\u202e\uffff".split("")), maxLength: 8 }),
  fc.constantFrom(...SPECIAL_STRINGS),
);

/** A number: any double, a small or huge integer, or one of the special ones. */
export const anyNumber: fc.Arbitrary<number> = fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger(), fc.constantFrom(...SPECIAL_NUMBERS));

/** An array nested `depth` deep (recursion limits). */
export const deepArray = (depth: number): unknown => {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

/** An object nested `depth` deep. */
export const deepObject = (depth: number): unknown => {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

/** An object with an own member named `key` (as JSON.parse makes it, even for "__proto__"). */
export function withOwnKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

/** Any JSON-ish value, including non-JSON ones (NaN, -0, undefined, lone surrogates) and deep nesting. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: anyString },
  { weight: 2, arbitrary: anyNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, true, false, [], {}) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2, withBigInt: false, withNullPrototype: true, withObjectString: true, withSparseArray: true }) },
  { weight: 1, arbitrary: fc.constantFrom(200, 5000).chain((n) => fc.constantFrom(deepArray(n), deepObject(n))) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...PROTO_KEYS), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => withOwnKey({}, k, v)),
  },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1000, max: 5000 }), fc.jsonValue({ maxDepth: 1 })).map(([n, v]) => Array.from({ length: n }, () => v)) },
);

type Path = Array<string | number>;

/** Every path into a JSON value (the root is []). */
export function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) pathsOf(v, [...prefix, i], out);
  } else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

/** One change to a value: at `path`, replace / delete / retype / add a prototype key / duplicate an element. */
interface Mutation {
  path: Path;
  kind: "replace" | "delete" | "retype" | "proto" | "stretch" | "number";
  value: unknown;
  protoKey: string;
  n: number;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function parentOf(root: unknown, path: Path): [Record<string | number, unknown> | unknown[] | null, string | number | null] {
  if (path.length === 0) return [null, null];
  let p: unknown = root;
  for (const k of path.slice(0, -1)) {
    if (typeof p !== "object" || p === null) return [null, null];
    p = (p as Record<string | number, unknown>)[k];
  }
  if (typeof p !== "object" || p === null) return [null, null];
  return [p as Record<string | number, unknown>, path[path.length - 1] as string | number];
}

function applyMutation(root: unknown, m: Mutation): unknown {
  const [parent, key] = parentOf(root, m.path);
  const current = parent === null ? root : (parent as Record<string | number, unknown>)[key as string];
  let next: unknown;
  switch (m.kind) {
    case "replace":
      next = m.value;
      break;
    case "delete":
      if (parent === null) return undefined;
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, unknown>)[key as string];
      return root;
    case "retype":
      next =
        typeof current === "string" ? Number(current) || [current] : typeof current === "number" ? String(current) : current === null ? {} : jsonText(current);
      break;
    case "proto":
      if (typeof current === "object" && current !== null && !Array.isArray(current)) {
        withOwnKey(current as Record<string, unknown>, m.protoKey, m.value);
        return root;
      }
      next = withOwnKey({}, m.protoKey, current);
      break;
    case "stretch":
      next =
        typeof current === "string"
          ? current.slice(0, 200).repeat(1 + m.n * 50)
          : Array.isArray(current)
            ? Array.from({ length: 1 + m.n * 50 }, () => current[0])
            : current;
      break;
    case "number":
      next = typeof current === "number" ? [current + 1, current - 1, -current, current * 2 ** 40, current + 0.5][m.n % 5] : current;
      break;
  }
  if (parent === null) return next;
  (parent as Record<string | number, unknown>)[key as string] = next;
  return root;
}

/** Mutants of `valid`: one to four changes at random paths (a fresh copy each time). */
export function mutantOf(valid: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(valid);
  const mutation: fc.Arbitrary<Mutation> = fc.record({
    path: fc.constantFrom(...paths),
    kind: fc.constantFrom("replace", "replace", "delete", "retype", "proto", "stretch", "number"),
    value: junk,
    protoKey: fc.constantFrom(...PROTO_KEYS),
    n: fc.nat(9),
  }) as fc.Arbitrary<Mutation>;
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => ms.reduce((v, m) => applyMutation(v, m), clone(valid)));
}

/** A value to check: mostly mutants of a valid one, sometimes junk, sometimes the valid one itself. */
export function inputOf(valid: unknown): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 6, arbitrary: mutantOf(valid) }, { weight: 2, arbitrary: junk }, { weight: 1, arbitrary: fc.constant(valid).map(clone) });
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** JSON text of a value; values JSON cannot hold (undefined, a lone root) become text anyway. */
export function jsonText(v: unknown): string {
  try {
    return JSON.stringify(v) ?? "null";
  } catch {
    return "[".repeat(10_000); // too deep for JSON.stringify: send what it would have started with
  }
}

/** Bytes on the wire: the JSON of `values`, truncated or corrupted, or raw bytes. */
export function bytesOf(values: fc.Arbitrary<unknown>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: values.map((v) => utf8(jsonText(v))) },
    {
      weight: 1,
      arbitrary: fc.tuple(values, fc.nat()).map(([v, n]) => {
        const t = utf8(jsonText(v));
        return t.subarray(0, n % (t.length + 1));
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(values, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([v, n, b]) => {
        const t = utf8(jsonText(v));
        if (t.length > 0) t[n % t.length] = b;
        return t;
      }),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }).map((s) => utf8(s)) },
  );
}
