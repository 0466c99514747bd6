/** QR codes of a certificate's verification link, as PNG or SVG files (`cert issue --qr`). */
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import QRCode from "qrcode";
import { UsageError } from "../../errors.js";

export type QrFormat = "png" | "svg";

/** The format a --qr path asks for, by its extension; a usage error for anything else. */
export function qrFormatOf(command: string, path: string): QrFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".png") return "png";
  if (ext === ".svg") return "svg";
  throw new UsageError(`--qr ${path}: the file must end in .png or .svg`, command);
}

/** Write the QR code of `text` to `path` (error correction M: survives a little print damage). */
export async function writeQrCode(path: string, format: QrFormat, text: string): Promise<void> {
  const options = { errorCorrectionLevel: "M" as const, margin: 4 };
  if (format === "svg") {
    await writeFile(path, await QRCode.toString(text, { ...options, type: "svg" }), { mode: 0o644 });
    return;
  }
  await writeFile(path, await QRCode.toBuffer(text, { ...options, type: "png", scale: 8 }), { mode: 0o644 });
}
