/**
 * Model text rendered as markdown through JupyterLab's rendermime, with
 * raw HTML shown as text and the rendermime sanitizer applied.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import React, { useEffect, useRef } from 'react';

import { escapeHtmlInMarkdown } from './text';

export interface IMarkdownProps {
  rendermime: IRenderMimeRegistry;
  source: string;
  className?: string;
}

interface IRenderState {
  renderer: IRenderMime.IRenderer;
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
    await state.renderer.renderModel(
      new MimeModel({
        data: { 'text/markdown': escapeHtmlInMarkdown(source) },
        // Untrusted: the rendermime sanitizer cleans the HTML.
        trusted: false
      })
    );
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
    state.current = { renderer, busy: false, next: null };
    const node = host.current!;
    if (node.isConnected) {
      Widget.attach(renderer, node);
    } else {
      node.appendChild(renderer.node);
    }
    return () => {
      state.current = null;
      if (renderer.isAttached) {
        Widget.detach(renderer);
      }
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
