/**
 * Pure text helpers of the chat view: split an assistant reply into its
 * prose, code and answer, and make model text safe to render as markdown.
 */

/**
 * A piece of an assistant reply. `closed` is false for a block whose end
 * has not streamed in yet.
 */
export interface ISegment {
  kind: 'prose' | 'code' | 'solution' | 'reasoning';
  text: string;
  closed: boolean;
}

// What opens a block, as in the reply grammar of
// jupyter_codeact/core/actions.py (read its docstring): an action tag
// (attributes allowed; `<code>` only at the start of a line), `<solution>`,
// a reasoning tag, or a fence at the start of a line. The server sends the
// finished reply's prose as the grammar reads it; this split only serves
// the view of a reply still streaming.
const OPENERS =
  /<(execute(?:_ipython|_bash)?|solution|think|thinking)(?:\s[^<>]*)?>|^[ \t]*<(code)>|^[ \t]*(```|~~~)[ \t]*([^`\n]*?)[ \t]*$/im;
const PYTHON_FENCES = /^(?:python3?|py3?|ipython3?)$/i;
const TAGS = [
  '<execute>',
  '<execute_ipython>',
  '<execute_bash>',
  '<solution>',
  '<think>',
  '<thinking>',
  '</execute>',
  '</execute_ipython>',
  '</execute_bash>',
  '</solution>',
  '</think>',
  '</thinking>'
];

function kindOf(tag: string): ISegment['kind'] {
  if (tag === 'solution') {
    return 'solution';
  }
  return tag === 'think' || tag === 'thinking' ? 'reasoning' : 'code';
}

/**
 * Split `reply` into prose, code (action tags and python fences, until a
 * tag has been written: fences after one are quotations), solution and
 * reasoning segments, in order.
 */
export function splitReply(reply: string): ISegment[] {
  const segments: ISegment[] = [];
  const addProse = (text: string): void => {
    const last = segments[segments.length - 1];
    if (last?.kind === 'prose') {
      last.text += text;
    } else if (text) {
      segments.push({ kind: 'prose', text, closed: true });
    }
  };
  let tagWritten = false;
  let rest = reply;
  while (rest) {
    const open = OPENERS.exec(rest);
    if (!open) {
      addProse(rest);
      break;
    }
    addProse(rest.slice(0, open.index));
    const tag = (open[1] ?? open[2])?.toLowerCase();
    let body = rest.slice(open.index + open[0].length);
    if (tag === undefined) {
      // A fence: its own line ends at the newline after it.
      body = body.replace(/^\r?\n/, '');
      const fence = open[3];
      const close = new RegExp(`^[ \\t]*${fence[0]}{3,}[ \\t]*$`, 'm').exec(
        body
      );
      const inner = close ? body.slice(0, close.index) : body;
      rest = close ? body.slice(close.index + close[0].length) : '';
      if (tagWritten || !PYTHON_FENCES.test(open[4] ?? '')) {
        // Another language, or a quotation: markdown shows it as prose.
        addProse(`${open[0]}\n${inner}${close ? close[0] : ''}`);
      } else {
        segments.push({ kind: 'code', text: inner, closed: close !== null });
      }
      continue;
    }
    tagWritten = tagWritten || kindOf(tag) !== 'reasoning';
    const close = new RegExp(`</${tag}\\s*>`, 'i').exec(body);
    segments.push({
      kind: kindOf(tag),
      text: close ? body.slice(0, close.index) : body,
      closed: close !== null
    });
    rest = close ? body.slice(close.index + close[0].length) : '';
  }
  return segments;
}

/**
 * `text` without a trailing partial tag (a stream cut mid-tag would
 * otherwise flash it).
 */
function withoutPartialTag(text: string): string {
  const start = text.lastIndexOf('<');
  if (start < 0) {
    return text;
  }
  const tail = text.slice(start).toLowerCase();
  const partial =
    TAGS.some(tag => tag.startsWith(tail) && tail.length < tag.length) ||
    // An opening tag whose attributes are still streaming in.
    /^<execute(?:_ipython|_bash)?\s[^<>]*$/.test(tail);
  return partial ? text.slice(0, start) : text;
}

/**
 * The natural-language part of a reply, as markdown: actions, answers and
 * reasoning removed (the panel shows them as a step, as the answer and as
 * thinking).
 */
export function prose(reply: string): string {
  const text = splitReply(reply)
    .filter(segment => segment.kind === 'prose')
    .map(segment => segment.text)
    .join('');
  return withoutPartialTag(text)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * What to show of a reply while it streams: the prose so far, the code
 * being written (if any), and the answer being written (if any).
 */
export function streamingView(reply: string): {
  prose: string;
  code: string | null;
  solution: string | null;
} {
  const segments = splitReply(reply);
  const code = segments.find(segment => segment.kind === 'code');
  const solution = segments.find(segment => segment.kind === 'solution');
  return {
    prose: prose(reply),
    code: code ? withoutPartialTag(code.text).replace(/^\n/, '') : null,
    solution: solution ? withoutPartialTag(solution.text).trim() : null
  };
}

/**
 * Split streaming markdown into the settled part (complete paragraphs,
 * worth rendering as markdown) and the tail still being written (shown as
 * plain text, so each token appears at once without a markdown render).
 * A code block still open stays in the tail.
 */
export function settledMarkdown(text: string): {
  settled: string;
  tail: string;
} {
  let cut = text.lastIndexOf('\n\n');
  const fences = [...text.matchAll(/^[ \t]*(`{3,}|~{3,})/gm)];
  if (fences.length % 2 === 1) {
    // Inside an unfinished code block: settle only what came before it.
    const open = fences[fences.length - 1].index!;
    cut = Math.min(cut, text.lastIndexOf('\n\n', open));
  }
  if (cut < 0) {
    return { settled: '', tail: text };
  }
  return { settled: text.slice(0, cut), tail: text.slice(cut + 2) };
}

const FENCE_LINE = /^[ \t]*(`{3,}|~{3,})/;

const CODE_SPAN = /(?<!`)(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g;

function escapeText(text: string): string {
  // `![alt](url)` would make the browser fetch `url` as soon as the text is
  // shown: model text (maybe steered by a web page it read) could send data
  // anywhere that way. As `&#33;[alt](url)` it is a plain link instead.
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/!\[/g, '&#33;[');
}

function escapeInline(text: string): string {
  // Code spans (opened and closed by equally long backtick runs) stay as
  // they are: markdown shows them literally. Elsewhere `<` and `&` become
  // entities so that no HTML is ever parsed.
  let out = '';
  let last = 0;
  for (const match of text.matchAll(CODE_SPAN)) {
    out += escapeText(text.slice(last, match.index)) + match[0];
    last = match.index! + match[0].length;
  }
  return out + escapeText(text.slice(last));
}

/**
 * Make model text safe to render as markdown: raw HTML shows as text
 * (`<img onerror=...>` is displayed, never parsed) and images become links
 * (nothing is fetched without a click), while code blocks and code spans,
 * which markdown already shows literally, are left alone.
 * The rendermime sanitizer still runs on the result.
 */
export function escapeHtmlInMarkdown(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | null = null;
  let paragraph: string[] = [];
  const out: string[] = [];
  const flush = (): void => {
    if (paragraph.length) {
      out.push(escapeInline(paragraph.join('\n')));
      paragraph = [];
    }
  };
  for (const line of lines) {
    const match = FENCE_LINE.exec(line);
    if (fence !== null) {
      out.push(line);
      if (
        match &&
        match[1][0] === fence[0] &&
        match[1].length >= fence.length
      ) {
        fence = null;
      }
    } else if (match) {
      flush();
      fence = match[1];
      out.push(line);
    } else {
      paragraph.push(line);
    }
  }
  flush();
  return out.join('\n');
}
