/**
 * Optional TLS of the RPC: a PEM certificate (chain) and private key, read at start and again on
 * reload (`reloadTls`, e.g. on SIGHUP after a certificate renewal), applied to the running server with
 * `setSecureContext` — open connections keep their session, new ones get the new certificate.
 */
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { type SecureContextOptions, createSecureContext } from "node:tls";
import { LedgerError } from "../errors.js";

export interface TlsOptions {
  /** PEM certificate (with its chain) the RPC serves; "" with keyFile "" = plain HTTP. Relative paths: to the node's home. */
  certFile: string;
  /** PEM private key of certFile (unencrypted; keep it mode 0600). */
  keyFile: string;
}

export const defaultTlsOptions: TlsOptions = { certFile: "", keyFile: "" };

/** The key and certificate, checked to form a pair. */
export type TlsMaterial = Required<Pick<SecureContextOptions, "key" | "cert">>;

/** True when TLS is configured (both files named); throws CONFIG when only one of them is. */
export function tlsEnabled(tls: TlsOptions): boolean {
  if (tls.certFile === "" && tls.keyFile === "") return false;
  if (tls.certFile === "" || tls.keyFile === "") throw new LedgerError("CONFIG", "rpc.tls needs both certFile and keyFile (or neither, for plain HTTP)");
  return true;
}

/** Check PEM bytes as a certificate and its key; throws CONFIG naming the files. */
function checkPair(tls: TlsOptions, cert: Buffer, key: Buffer): TlsMaterial {
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const reason = (err as Error).message;
    throw new LedgerError("CONFIG", `rpc.tls: ${tls.certFile} and ${tls.keyFile} are not a PEM certificate and its private key (${reason})`);
  }
  return { cert, key };
}

function unreadable(path: string, err: unknown): LedgerError {
  return new LedgerError("CONFIG", `rpc.tls: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
}

/** Read and check the files at start (synchronously: the server is being built). */
export function readTlsFilesSync(tls: TlsOptions): TlsMaterial {
  const read = (path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw unreadable(path, err);
    }
  };
  return checkPair(tls, read(tls.certFile), read(tls.keyFile));
}

/** Read and check the files again (reload). */
export async function readTlsFiles(tls: TlsOptions): Promise<TlsMaterial> {
  const read = (path: string): Promise<Buffer> =>
    readFile(path).catch((err: unknown) => {
      throw unreadable(path, err);
    });
  const [cert, key] = await Promise.all([read(tls.certFile), read(tls.keyFile)]);
  return checkPair(tls, cert, key);
}
