// Mapping the parser's line/character positions back to the Dockerfile text.
import type { Instruction } from 'dockerfile-ast';

export interface LineIndex {
  /** Offset where each line starts. */
  readonly starts: readonly number[];
  /** Offset where each line's content ends (before its line break). */
  readonly ends: readonly number[];
}

/** Index the lines, breaking them where the parser does (CRLF, CR or LF). */
export function indexLines(text: string): LineIndex {
  const starts = [0];
  const ends: number[] = [];
  const re = /\r\n|\r|\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    ends.push(m.index);
    starts.push(m.index + m[0].length);
  }
  ends.push(text.length);
  return { starts, ends };
}

export interface InstructionText {
  /** The physical lines, the first one starting at the keyword. */
  readonly lines: string[];
  /** Offset of the keyword. */
  readonly from: number;
  /** Offset of the end of the instruction's last line. */
  readonly to: number;
}

export function instructionText(text: string, index: LineIndex, ins: Instruction): InstructionText {
  const { start, end } = ins.getRange();
  const from = (index.starts[start.line] ?? 0) + start.character;
  const to = index.ends[end.line] ?? text.length;
  const lines: string[] = [];
  for (let l = start.line; l <= end.line; l++) {
    lines.push(text.slice(l === start.line ? from : index.starts[l], index.ends[l]));
  }
  return { lines, from, to };
}

/** Offset of a position. */
export function offsetOf(index: LineIndex, pos: { line: number; character: number }): number {
  return (index.starts[pos.line] ?? 0) + pos.character;
}
