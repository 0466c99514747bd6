/** Reading a secret line from a terminal without echoing it (raw mode; Backspace edits, Ctrl-C cancels). */
import { CliError } from "./errors.js";

/** The terminal side the prompt needs: process.stdin, or a fake in tests. */
export interface SecretInput {
  isRaw?: boolean;
  setRawMode(mode: boolean): unknown;
  on(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  off(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** Where the prompt is written (stderr, so stdout stays the command's output). */
export interface SecretOutput {
  write(text: string): unknown;
}

/** Write `prompt`, read one line without echo, and restore the terminal. */
export function readHiddenLine(input: SecretInput, output: SecretOutput, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const wasRaw = input.isRaw === true;
    let line = "";
    const finish = (error: Error | null): void => {
      input.off("data", onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write("\n");
      if (error === null) resolve(line);
      else reject(error);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === "string" ? chunk : chunk.toString("utf8")) {
        // Enter ends the line; Ctrl-C, and Ctrl-D on an empty line, cancel.
        const end = ch === "\r" || ch === "\n" ? null : ch === "\u0003" || (ch === "\u0004" && line.length === 0) ? new CliError("cancelled") : undefined;
        if (end !== undefined) {
          finish(end);
          return;
        }
        if (ch === "\u007f" || ch === "\b") line = Array.from(line).slice(0, -1).join("");
        else if (ch >= " ") line += ch;
      }
    };
    output.write(prompt);
    input.setRawMode(true);
    input.on("data", onData);
    input.resume();
  });
}
