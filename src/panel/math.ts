/**
 * Dollar signs in model text: money stays money, maths stays maths.
 *
 * JupyterLab renders markdown in two passes that both look for `$`: its
 * markdown renderer hides `$…$` and `$$…$$` from the markdown parser, and
 * MathJax then typesets any two dollars within one run of text. A `\$`
 * escape does not help: the markdown parser turns it into a bare `$` that
 * MathJax pairs with the next one (seen in a markdown cell that also held
 * real maths). What does hold, measured in JupyterLab: a dollar that is
 * alone in its element, written `<span>\$</span>`. The first pass reads
 * `\$` as an escape, and MathJax never pairs dollars across elements.
 *
 * So only real maths stays maths: `$$…$$`, `\(…\)`, `\[…\]` (written as
 * `$…$` and `$$…$$`, which JupyterLab typesets; it shows `\(` as a plain
 * parenthesis) and `$…$` where it cannot be money, by pandoc's rule: the
 * opening `$` is followed by a non-space, and the first `$` after it is
 * preceded by a non-space and not followed by a digit. "$5 and $10",
 * "$5-$10", "US$5 (US$6)" are money. Code is left alone.
 */

import { escapeHtmlInMarkdown } from './text';

const FENCE_LINE = /^[ \t]*(`{3,}|~{3,})/;
const CODE_SPAN = /(?<!`)(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g;

/** How a currency dollar is written when another `$` could pair with it. */
export const PROTECTED_DOLLAR = '<span>\\$</span>';

type Piece =
  | { kind: 'text'; text: string }
  | { kind: 'math'; text: string }
  | { kind: 'dollar'; escaped: boolean };

const SPACE = /\s/;
const DIGIT = /[0-9]/;

/** Where a `$…$` opened at `start` closes, or -1 when it is not maths. */
function inlineClose(text: string, start: number): number {
  const after = text[start + 1];
  if (after === undefined || SPACE.test(after)) {
    return -1;
  }
  for (let i = start + 1; i < text.length; i++) {
    const char = text[i];
    if (char === '\\') {
      i++; // `\$` inside maths is TeX's literal dollar
      continue;
    }
    if (char === '\n' && /^\n[ \t]*\n/.test(text.slice(i))) {
      return -1; // maths never crosses a paragraph
    }
    if (char === '$') {
      const closes =
        text[i + 1] !== '$' &&
        !SPACE.test(text[i - 1]) &&
        !DIGIT.test(text[i + 1] ?? '');
      return closes ? i : -1;
    }
  }
  return -1;
}

/** The end of a `close` delimiter after `from` within one paragraph, or -1. */
function delimited(text: string, from: number, close: string): number {
  const at = text.indexOf(close, from);
  if (at < 0 || /\n[ \t]*\n/.test(text.slice(from, at))) {
    return -1;
  }
  return at;
}

/** Split prose (no code in it) into text, maths and lone dollars. */
function pieces(text: string): Piece[] {
  const found: Piece[] = [];
  let plain = '';
  const flush = (): void => {
    if (plain) {
      found.push({ kind: 'text', text: plain });
      plain = '';
    }
  };
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    if (two === '\\\\') {
      plain += two; // an escaped backslash: what follows is not an escape
      i += 2;
      continue;
    }
    if (two === '\\(' || two === '\\[') {
      const close = delimited(text, i + 2, two === '\\(' ? '\\)' : '\\]');
      if (close >= 0) {
        const inner = text.slice(i + 2, close).trim();
        const fence = two === '\\(' ? '$' : '$$';
        flush();
        found.push({ kind: 'math', text: `${fence}${inner}${fence}` });
        i = close + 2;
        continue;
      }
    }
    if (two === '\\$') {
      flush();
      found.push({ kind: 'dollar', escaped: true });
      i += 2;
      continue;
    }
    if (two === '$$') {
      const close = delimited(text, i + 2, '$$');
      if (close > i + 2) {
        flush();
        found.push({ kind: 'math', text: text.slice(i, close + 2) });
        i = close + 2;
        continue;
      }
    }
    if (text[i] === '$') {
      const close = two === '$$' ? -1 : inlineClose(text, i);
      flush();
      if (close >= 0) {
        found.push({ kind: 'math', text: text.slice(i, close + 1) });
        i = close + 1;
      } else {
        found.push({ kind: 'dollar', escaped: false });
        i += 1;
      }
      continue;
    }
    plain += text[i];
    i += 1;
  }
  flush();
  return found;
}

/** `markdown` split into prose and code (fenced blocks, code spans). */
function proseAndCode(markdown: string): { text: string; code: boolean }[] {
  const parts: { text: string; code: boolean }[] = [];
  const add = (text: string, code: boolean): void => {
    const last = parts[parts.length - 1];
    if (last && last.code === code) {
      last.text += text;
    } else if (text) {
      parts.push({ text, code });
    }
  };
  const addProse = (text: string): void => {
    let last = 0;
    for (const match of text.matchAll(CODE_SPAN)) {
      add(text.slice(last, match.index), false);
      add(match[0], true);
      last = match.index! + match[0].length;
    }
    add(text.slice(last), false);
  };
  let fence: string | null = null;
  let paragraph = '';
  for (const [index, line] of markdown.split('\n').entries()) {
    const text = index === 0 ? line : `\n${line}`;
    const match = FENCE_LINE.exec(line);
    if (fence !== null) {
      add(text, true);
      if (
        match &&
        match[1][0] === fence[0] &&
        match[1].length >= fence.length
      ) {
        fence = null;
      }
    } else if (match) {
      addProse(paragraph);
      paragraph = '';
      fence = match[1];
      add(text, true);
    } else {
      paragraph += text;
    }
  }
  addProse(paragraph);
  return parts;
}

/**
 * `markdown` with its currency dollars written so that no renderer takes
 * them for maths, and `\(…\)`, `\[…\]` written as the maths JupyterLab
 * typesets. A text with a single dollar (and no maths) is left as it is.
 */
export function protectCurrency(markdown: string): string {
  const parts: ({ code: string } | { pieces: Piece[] })[] = proseAndCode(
    markdown
  ).map(part =>
    part.code ? { code: part.text } : { pieces: pieces(part.text) }
  );
  const all: Piece[] = [];
  for (const part of parts) {
    if ('pieces' in part) {
      all.push(...part.pieces);
    }
  }
  const dollars = all.filter(piece => piece.kind === 'dollar').length;
  const maths = all.filter(piece => piece.kind === 'math').length;
  const protect = dollars > 1 || (dollars > 0 && maths > 0);
  return parts
    .map(part => {
      if ('code' in part) {
        return part.code;
      }
      return part.pieces
        .map(piece => {
          if (piece.kind !== 'dollar') {
            return piece.text;
          }
          if (protect) {
            return PROTECTED_DOLLAR;
          }
          return piece.escaped ? '\\$' : '$';
        })
        .join('');
    })
    .join('');
}

/**
 * The maths of `markdown` as JupyterLab will typeset it (for tests and
 * diagnostics): each `$…$` / `$$…$$` segment `protectCurrency` kept.
 */
export function mathSegments(markdown: string): string[] {
  return proseAndCode(markdown)
    .filter(part => !part.code)
    .flatMap(part => pieces(part.text))
    .filter(piece => piece.kind === 'math')
    .map(piece => (piece as { text: string }).text);
}

/**
 * Model text as markdown to render (in the chat) or to put in a markdown
 * cell: raw HTML shown as text, images as links, money as money.
 */
export function modelMarkdown(text: string): string {
  return protectCurrency(escapeHtmlInMarkdown(text));
}
