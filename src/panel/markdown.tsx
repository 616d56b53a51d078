/**
 * Model text rendered as markdown through JupyterLab's rendermime, with
 * raw HTML shown as text and the rendermime sanitizer applied.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import React, { useEffect, useRef } from 'react';

import { addCopyButtons } from './codeblock';
import { mathSegments, modelMarkdown } from './math';

export interface IMarkdownProps {
  rendermime: IRenderMimeRegistry;
  source: string;
  className?: string;
}

interface IRenderState {
  renderer: IRenderMime.IRenderer;
  typesetter: IRenderMime.ILatexTypesetter | null;
  busy: boolean;
  /** The newest source asked for while a render was going on. */
  next: string | null;
}

/**
 * Render `state`'s renderer with `source`; while a render is going on,
 * only the newest source is kept for the next one (streaming text can
 * arrive faster than markdown renders).
 */
async function render(state: IRenderState, source: string): Promise<void> {
  if (state.busy) {
    state.next = source;
    return;
  }
  state.busy = true;
  try {
    const markdown = modelMarkdown(source);
    await state.renderer.renderModel(
      new MimeModel({
        data: { 'text/markdown': markdown },
        // Untrusted: the rendermime sanitizer cleans the HTML.
        trusted: false
      })
    );
    // The renderer is not an attached Lumino widget (React owns the DOM
    // here), so it does not typeset math itself: only where there is some
    // (money is not, and typesetting is slow).
    if (state.typesetter && mathSegments(markdown).length) {
      await state.typesetter.typeset(state.renderer.node);
    }
    addCopyButtons(state.renderer.node);
  } catch (error) {
    console.warn('CodeAct: markdown rendering failed', error);
    state.renderer.node.textContent = source;
  } finally {
    state.busy = false;
  }
  if (state.next !== null && !state.renderer.isDisposed) {
    const next = state.next;
    state.next = null;
    await render(state, next);
  }
}

export function Markdown(props: IMarkdownProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const state = useRef<IRenderState | null>(null);

  useEffect(() => {
    const renderer = props.rendermime.createRenderer('text/markdown');
    state.current = {
      renderer,
      typesetter: props.rendermime.latexTypesetter,
      busy: false,
      next: null
    };
    // Only the node: attaching the Lumino widget would tie its life to a
    // DOM that React removes before this effect is cleaned up.
    host.current!.appendChild(renderer.node);
    return () => {
      state.current = null;
      renderer.dispose();
    };
  }, [props.rendermime]);

  useEffect(() => {
    if (state.current) {
      void render(state.current, props.source);
    }
  }, [props.source, props.rendermime]);

  return (
    <div
      ref={host}
      className={`jp-CodeAct-markdown ${props.className ?? ''}`.trim()}
    />
  );
}
