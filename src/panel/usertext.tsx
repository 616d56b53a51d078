/**
 * The user's own message, as they wrote it: plain text, except fenced
 * blocks. Python is shown as code; any other block (a traceback that
 * *Fix the Error* quoted, some data) is folded under its last line.
 */
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import React from 'react';

import { CodeBlock } from './codeblock';

export interface IUserPart {
  kind: 'text' | 'code' | 'block';
  text: string;
  /** The fence's language (code) or '' (block). */
  language: string;
}

const FENCE = /^[ \t]*(`{3,}|~{3,})[ \t]*([^`\s]*)[^\n]*$/;
const PYTHON = /^(?:python3?|py|ipython3?)$/i;

/** `text` split into plain text and fenced blocks (an unclosed fence is text). */
export function userParts(text: string): IUserPart[] {
  const parts: IUserPart[] = [];
  const lines = text.split('\n');
  let plain: string[] = [];
  const flush = (): void => {
    const joined = plain.join('\n').replace(/^\n+|\n+$/g, '');
    if (joined) {
      parts.push({ kind: 'text', text: joined, language: '' });
    }
    plain = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    const close = open
      ? lines.findIndex(
          (line, j) =>
            j > i &&
            line.trim().startsWith(open[1]) &&
            /^[`~]+$/.test(line.trim())
        )
      : -1;
    if (!open || close < 0) {
      plain.push(lines[i]);
      continue;
    }
    flush();
    const body = lines.slice(i + 1, close).join('\n');
    const language = open[2] ?? '';
    parts.push({
      kind: PYTHON.test(language) ? 'code' : 'block',
      text: body,
      language
    });
    i = close;
  }
  flush();
  return parts;
}

/** The line a folded block is known by: its last one (an error's name). */
export function blockSummary(text: string): string {
  const lines = text.split('\n').filter(line => line.trim());
  const last = lines[lines.length - 1]?.trim() ?? '';
  const count = lines.length;
  const size = `${count} line${count === 1 ? '' : 's'}`;
  return last ? `${last} (${size})` : size;
}

export function UserText(props: {
  text: string;
  languages: IEditorLanguageRegistry | null;
}): JSX.Element {
  return (
    <div className="jp-CodeAct-userText">
      {userParts(props.text).map((part, index) => {
        if (part.kind === 'text') {
          return (
            <div key={index} className="jp-CodeAct-userLine">
              {part.text}
            </div>
          );
        }
        if (part.kind === 'code') {
          return (
            <CodeBlock
              key={index}
              code={part.text}
              languages={props.languages}
              label="Code in your message"
            />
          );
        }
        return (
          <details key={index} className="jp-CodeAct-folded">
            <summary>{blockSummary(part.text)}</summary>
            <pre className="jp-CodeAct-output">{part.text}</pre>
          </details>
        );
      })}
    </div>
  );
}
