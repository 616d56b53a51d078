/**
 * The README's section on pointing the agent at a model, shown in a tab
 * of JupyterLab (the installed package's own README, served by the
 * server), for a panel that has no model set up.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import { api } from '../api';

/**
 * A tab with the set-up instructions (or why they cannot be shown).
 */
export async function setupDocs(
  rendermime: IRenderMimeRegistry
): Promise<MainAreaWidget> {
  const renderer = rendermime.createRenderer('text/markdown');
  const content = new Widget();
  content.addClass('jp-CodeAct-setupDocs');
  content.node.appendChild(renderer.node);
  let markdown: string;
  let title = 'Set up a model';
  try {
    const docs = await api.setupDocs();
    markdown = docs.markdown;
    title = docs.title;
  } catch (error) {
    markdown = `The instructions could not be read: ${String((error as Error).message ?? error)}`;
  }
  // Trusted: the package's own README, not model text.
  await renderer.renderModel(
    new MimeModel({ data: { 'text/markdown': markdown }, trusted: true })
  );
  const widget = new MainAreaWidget({ content });
  widget.id = 'jp-codeact-setup';
  widget.title.label = `CodeAct: ${title}`;
  widget.title.closable = true;
  return widget;
}
