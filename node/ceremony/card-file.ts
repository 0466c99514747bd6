/** The node card on disk: `<home>/card.json`, and card files exchanged between departments. */
import { join } from "node:path";
import { type NodeCard, checkCard } from "../chain/card.js";
import { readJsonFile, writeFileAtomic } from "./files.js";

export const CARD_FILE = "card.json";

/** The card file of a home. */
export function cardFileOf(home: string): string {
  return join(home, CARD_FILE);
}

/** Read and check a card file (shape and signature); a CONFIG error naming the file otherwise. */
export async function readCardFile(path: string): Promise<NodeCard> {
  return checkCard(await readJsonFile(path, "card"), path);
}

/** The card as its file holds it: pretty JSON, public facts only. */
export function cardText(card: NodeCard): string {
  return `${JSON.stringify(card, null, 2)}\n`;
}

/** Write a card file. */
export async function writeCardFile(path: string, card: NodeCard): Promise<void> {
  await writeFileAtomic(path, cardText(card));
}
