/**
 * Code in the chat as it reads in the notebook: highlighted by
 * JupyterLab's own CodeMirror highlighter (its classes take the theme's
 * editor colours), long lines scrolling sideways, a tall block shown in
 * part until a click opens it whole, and a copy button.
 */
import { Clipboard } from '@jupyterlab/apputils';
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import React, { useEffect, useRef, useState } from 'react';

/** Lines shown before a block opens (a taller one shows a "Show all" bar). */
export const PREVIEW_LINES = 12;

const COPIED_MS = 1500;

/** Copy `text`; true once it is on the clipboard. */
function useCopy(): [boolean, (text: string) => void] {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) {
      return;
    }
    const timer = setTimeout(() => setCopied(false), COPIED_MS);
    return () => clearTimeout(timer);
  }, [copied]);
  return [
    copied,
    (text: string) => {
      Clipboard.copyToSystem(text);
      setCopied(true);
    }
  ];
}

export function CopyButton(props: { text: string }): JSX.Element {
  const [copied, copy] = useCopy();
  return (
    <button
      type="button"
      className="jp-CodeAct-copy"
      aria-label={copied ? 'Copied' : 'Copy code'}
      title="Copy the code"
      onClick={event => {
        event.stopPropagation();
        copy(props.text);
      }}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

/**
 * Highlight `code` into `node` (plain text until the language loads, or
 * without a registry).
 */
async function highlight(
  node: HTMLElement,
  code: string,
  languages: IEditorLanguageRegistry | null,
  language: string
): Promise<void> {
  node.textContent = code;
  const found = languages?.findBest(language) ?? null;
  if (!languages || !found) {
    return;
  }
  const into = document.createElement('div');
  try {
    await languages.highlight(code, found, into);
  } catch (error) {
    console.warn('CodeAct: could not highlight code', error);
    return;
  }
  // The code may have changed while the language loaded.
  if (node.dataset.code === code) {
    node.replaceChildren(...Array.from(into.childNodes));
  }
}

export interface ICodeBlockProps {
  code: string;
  languages: IEditorLanguageRegistry | null;
  language?: string;
  /** What a screen reader calls the block. */
  label?: string;
  /** Code still streaming in: plain text, no highlighting until it ends. */
  draft?: boolean;
}

export function CodeBlock(props: ICodeBlockProps): JSX.Element {
  const { code, languages, draft } = props;
  const language = props.language ?? 'python';
  const pre = useRef<HTMLPreElement>(null);
  const [open, setOpen] = useState(false);
  const lines = code.split('\n').length;
  const tall = !draft && lines > PREVIEW_LINES;

  useEffect(() => {
    const node = pre.current;
    if (!node) {
      return;
    }
    node.dataset.code = code;
    if (draft) {
      node.textContent = code;
    } else {
      void highlight(node, code, languages, language);
    }
  }, [code, languages, language, draft]);

  const collapsed = tall && !open;
  return (
    <div
      className={`jp-CodeAct-codeBlock${collapsed ? ' jp-mod-collapsed' : ''}${draft ? ' jp-mod-draft' : ''}`}
    >
      <pre
        ref={pre}
        className="jp-CodeAct-code"
        aria-label={props.label}
        onClick={collapsed ? () => setOpen(true) : undefined}
      />
      {!draft && <CopyButton text={code} />}
      {tall && (
        <button
          type="button"
          className="jp-CodeAct-expand"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
        >
          {open ? 'Show less' : `Show all ${lines} lines`}
        </button>
      )}
    </div>
  );
}

/**
 * Add a copy button to each code block of rendered markdown (the renderer
 * owns that DOM, and highlights those blocks itself).
 */
export function addCopyButtons(node: HTMLElement): void {
  for (const pre of Array.from(node.querySelectorAll('pre'))) {
    if (pre.parentElement?.classList.contains('jp-CodeAct-codeBlock')) {
      continue;
    }
    const frame = document.createElement('div');
    frame.className = 'jp-CodeAct-codeBlock jp-mod-markdown';
    pre.replaceWith(frame);
    frame.appendChild(pre);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jp-CodeAct-copy';
    button.textContent = 'Copy';
    button.title = 'Copy the code';
    button.setAttribute('aria-label', 'Copy code');
    button.addEventListener('click', () => {
      Clipboard.copyToSystem(pre.textContent ?? '');
      button.textContent = 'Copied';
      button.setAttribute('aria-label', 'Copied');
      setTimeout(() => {
        button.textContent = 'Copy';
        button.setAttribute('aria-label', 'Copy code');
      }, COPIED_MS);
    });
    frame.appendChild(button);
  }
}
