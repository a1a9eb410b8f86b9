// Word expansion for FROM lines (image and --platform), as BuildKit does it with the global ARGs:
// $NAME, ${NAME}, ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word}, quotes and the escape
// character. Unset variables expand to "".

export type VarScope = ReadonlyMap<string, string | undefined>;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export function expandWord(word: string, vars: VarScope, escape = '\\'): string {
  let out = '';
  let i = 0;
  const n = word.length;

  const variable = (): string => {
    // word[i] === '$'
    const next = word[i + 1];
    if (next === '{') {
      const close = findClose(word, i + 2);
      if (close < 0) throw new Error(`missing "}" in ${JSON.stringify(word)}`);
      const body = word.slice(i + 2, close);
      i = close + 1;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([\s\S]*))?$/.exec(body);
      if (!m) throw new Error(`unsupported substitution \${${body}} in ${JSON.stringify(word)}`);
      const [, name = '', op, alt = ''] = m;
      const value = vars.get(name);
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      switch (op) {
        case undefined:
          return value ?? '';
        case ':-':
          return nonEmpty ? value : expandWord(alt, vars, escape);
        case '-':
          return set ? value : expandWord(alt, vars, escape);
        case ':+':
          return nonEmpty ? expandWord(alt, vars, escape) : '';
        default: // '+'
          return set ? expandWord(alt, vars, escape) : '';
      }
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = i + 2;
      while (j < n && NAME_CHAR.test(word[j] as string)) j++;
      const name = word.slice(i + 1, j);
      i = j;
      return vars.get(name) ?? '';
    }
    i++;
    return '$';
  };

  while (i < n) {
    const c = word[i] as string;
    if (c === escape) {
      if (i + 1 < n) out += word[i + 1];
      i += 2;
    } else if (c === "'") {
      const close = word.indexOf("'", i + 1);
      if (close < 0) throw new Error(`unterminated quote in ${JSON.stringify(word)}`);
      out += word.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new Error(`unterminated quote in ${JSON.stringify(word)}`);
        const d = word[i] as string;
        if (d === '"') {
          i++;
          break;
        }
        if (d === escape && i + 1 < n && ['"', '$', escape].includes(word[i + 1] as string)) {
          out += word[i + 1];
          i += 2;
        } else if (d === '$') {
          out += variable();
        } else {
          out += d;
          i++;
        }
      }
    } else if (c === '$') {
      out += variable();
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index of the "}" closing a "${" whose body starts at `from`, allowing nested ${...}. */
function findClose(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}
