/**
 * The syntax of `?labelSelector=`, read token by token as kube-apiserver's
 * parser (k8s.io/apimachinery labels) reads it, so a malformed selector gets
 * the same message: `unable to parse requirement: found 'b' expected: '('`.
 * Keys and values are checked by the caller.
 */

export type SyntaxOperator = 'in' | 'notin' | 'exists' | '!exists' | '=' | '!=' | 'gt' | 'lt';

export interface ParsedRequirement {
  readonly key: string;
  readonly op: SyntaxOperator;
  readonly values: readonly string[];
}

type Token = 'id' | '!' | '=' | '==' | '!=' | 'in' | 'notin' | '>' | '<' | '(' | ')' | ',' | 'end' | 'error';

interface Item {
  readonly tok: Token;
  readonly lit: string;
}

/** Characters that end an identifier; runs of them are operators. */
const SPECIAL = new Set(['!', '=', '>', '<', '(', ')', ',']);
const SYMBOLS: readonly Token[] = ['!=', '==', '!', '=', '>', '<', '(', ')', ','];
const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

/** A syntax error, worded as kube's parser words it (without the outer prefix). */
export class SelectorSyntaxError extends Error {
  constructor(
    message: string,
    /** Errors inside a requirement get kube's `unable to parse requirement: ` prefix. */
    readonly inRequirement: boolean,
  ) {
    super(message);
  }
}

function lex(s: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (SPECIAL.has(ch)) {
      let run = '';
      while (i < s.length && SPECIAL.has(s[i]!)) run += s[i++];
      // The longest operator at the start of the run; the rest is lexed again.
      const sym = SYMBOLS.find((t) => run.startsWith(t));
      if (!sym) return [...items, { tok: 'error', lit: `error expected: keyword found '${run}'` }];
      i -= run.length - sym.length;
      items.push({ tok: sym, lit: sym });
      continue;
    }
    let word = '';
    while (i < s.length && !/\s/.test(s[i]!) && !SPECIAL.has(s[i]!)) word += s[i++];
    items.push({ tok: word === 'in' || word === 'notin' ? word : 'id', lit: word });
  }
  items.push({ tok: 'end', lit: '' });
  return items;
}

export function parseSelectorSyntax(selector: string): ParsedRequirement[] {
  const items = lex(selector);
  let pos = 0;
  // In value positions the keywords are plain identifiers.
  const look = (values: boolean): Item => {
    const it = items[Math.min(pos, items.length - 1)]!;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  };
  const take = (values: boolean): Item => {
    const it = look(values);
    pos++;
    return it;
  };
  const inReq = (m: string): never => {
    throw new SelectorSyntaxError(m, true);
  };

  const values = (): string[] => {
    const open = take(true);
    if (open.tok !== '(') inReq(`found '${open.lit}' expected: '('`);
    const first = look(true);
    if (first.tok === ')') {
      take(true);
      return [''];
    }
    if (first.tok !== 'id' && first.tok !== ',') inReq(`found '${first.lit}', expected: ',', ')' or identifier`);
    const out = new Set<string>();
    for (;;) {
      const it = take(true);
      if (it.tok === 'id') {
        out.add(it.lit);
        const next = look(true);
        if (next.tok === ',') continue;
        if (next.tok === ')') break;
        inReq(`found '${next.lit}', expected: ',' or ')'`);
      } else if (it.tok === ',') {
        if (out.size === 0) out.add('');
        const next = look(true);
        if (next.tok === ')') {
          out.add('');
          break;
        }
        if (next.tok === ',') {
          take(true);
          out.add('');
        }
      } else inReq(`found '${it.lit}', expected: ',', or identifier`);
    }
    if (take(true).tok !== ')') inReq(`found '${first.lit}', expected: ')'`);
    return [...out].sort();
  };

  const requirement = (): ParsedRequirement => {
    let it = take(true);
    let negated = false;
    if (it.tok === '!') {
      negated = true;
      it = take(true);
    }
    if (it.tok !== 'id') inReq(`found '${it.lit}', expected: identifier`);
    const key = it.lit;
    const after = look(true).tok;
    // `!key` ends the requirement whatever follows (the caller reports what does).
    if (negated) return { key, op: '!exists', values: [] };
    if (after === 'end' || after === ',') return { key, op: 'exists', values: [] };
    const op = take(false);
    switch (op.tok) {
      case 'in':
      case 'notin':
        return { key, op: op.tok, values: values() };
      case '=':
      case '==':
      case '!=':
      case '>':
      case '<': {
        const v = look(true);
        let value = '';
        if (v.tok !== 'end' && v.tok !== ',') {
          take(true);
          if (v.tok !== 'id') inReq(`found '${v.lit}', expected: identifier`);
          value = v.lit;
        }
        const kind = op.tok === '>' ? 'gt' : op.tok === '<' ? 'lt' : op.tok === '!=' ? '!=' : '=';
        return { key, op: kind, values: [value] };
      }
      default:
        return inReq(`found '${op.lit}', expected: ${BINARY_OPERATORS}`);
    }
  };

  const out: ParsedRequirement[] = [];
  for (;;) {
    const it = look(true);
    if (it.tok === 'end') return out;
    if (it.tok !== 'id' && it.tok !== '!') throw new SelectorSyntaxError(`found '${it.lit}', expected: !, identifier, or 'end of string'`, false);
    out.push(requirement());
    const sep = take(true);
    if (sep.tok === 'end') return out;
    if (sep.tok !== ',') throw new SelectorSyntaxError(`found '${sep.lit}', expected: ',' or 'end of string'`, false);
    const next = look(true);
    if (next.tok !== 'id' && next.tok !== '!') throw new SelectorSyntaxError(`found '${next.lit}', expected: identifier after ','`, false);
  }
}
