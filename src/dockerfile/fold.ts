// Long rewritten lines, folded. BuildKit reads a Dockerfile with a line scanner that refuses a
// physical line over 64 KiB ("bufio.Scanner: token too long"), but joins continuation lines into
// an instruction of any length. A rewritten RUN is one line of exec-form JSON holding the user's
// whole script, so a long script (a big heredoc, or a RUN of many continuation lines) would make
// a Dockerfile that builds without us fail with us. Such a line is cut into continuation lines.
// The parser skips a continuation line that is blank or starts (after blanks) with "#", and
// removes only the escape character at the end of each; so no piece starts with a blank, "#" or
// a backslash, none ends with a blank, a backslash or the escape character, and no cut falls
// inside a JSON escape or a surrogate pair: joined again, the pieces are the same JSON.

/** Lines up to this many UTF-8 bytes stay as they are (BuildKit's limit is 64 KiB). */
export const FOLD_ABOVE_BYTES = 48 * 1024;
/** Piece length in UTF-16 units: at most 3 UTF-8 bytes each, so a piece stays under 48 KiB. */
export const PIECE_UNITS = 16 * 1024;

/** Positions inside a JSON escape sequence (after its backslash), where no cut may fall. */
function insideEscapes(line: string): Set<number> {
  const inside = new Set<number>();
  let inString = false;
  for (let j = 0; j < line.length; j++) {
    const c = line[j];
    if (c === '"') inString = !inString;
    else if (inString && c === '\\') {
      const len = line[j + 1] === 'u' ? 6 : 2;
      for (let k = j + 1; k < j + len; k++) inside.add(k);
      j += len - 1;
    }
  }
  return inside;
}

function isSafeCut(line: string, i: number, escape: string, inside: ReadonlySet<number>): boolean {
  const before = line[i - 1] ?? '';
  const after = line[i] ?? '';
  const code = line.charCodeAt(i);
  if (inside.has(i) || (code >= 0xdc00 && code <= 0xdfff)) return false;
  if (/\s/.test(before) || before === '\\' || before === escape) return false;
  return !(/\s/.test(after) || after === '#' || after === '\\' || after === escape);
}

/**
 * `line` as the pieces of continuation lines: [line] when it is short enough, else pieces that
 * the caller joins with `escape` and a line break.
 */
export function foldLine(
  line: string,
  escape: string,
  aboveBytes: number = FOLD_ABOVE_BYTES,
  pieceUnits: number = PIECE_UNITS,
): string[] {
  if (Buffer.byteLength(line) <= aboveBytes) return [line];
  const inside = insideEscapes(line);
  const pieces: string[] = [];
  let start = 0;
  while (line.length - start > pieceUnits) {
    let cut = start + pieceUnits;
    while (cut > start + 1 && !isSafeCut(line, cut, escape, inside)) cut--;
    // No safe cut before: take the first one after (a piece a little longer than pieceUnits).
    if (cut <= start + 1) {
      cut = start + pieceUnits + 1;
      while (cut < line.length && !isSafeCut(line, cut, escape, inside)) cut++;
      if (cut >= line.length) break;
    }
    pieces.push(line.slice(start, cut));
    start = cut;
  }
  pieces.push(line.slice(start));
  return pieces;
}
