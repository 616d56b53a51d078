/**
 * A proposed change to the user's own cell, shown as a diff inside the
 * cell with Accept and Reject (Ctrl/Cmd+Enter and Escape while it has
 * the focus). Nothing changes in the cell until the user accepts.
 */
import { Cell, CodeCell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { PromiseDelegate } from '@lumino/coreutils';
import { PanelLayout, Widget } from '@lumino/widgets';

import { lineDiff } from './diff';

const PENDING_CLASS = 'jp-CodeAct-hasProposal';

export class ProposalWidget extends Widget {
  constructor(options: { before: string; after: string; label: string }) {
    super();
    this.addClass('jp-CodeAct-proposal');
    this.node.tabIndex = 0;
    this.node.setAttribute('role', 'group');
    this.node.setAttribute('aria-label', 'Change proposed by CodeAct');
    const header = document.createElement('div');
    header.className = 'jp-CodeAct-proposalHeader';
    header.textContent = options.label;
    const diff = document.createElement('pre');
    diff.className = 'jp-CodeAct-diff';
    for (const line of lineDiff(options.before, options.after)) {
      const row = document.createElement('div');
      row.className = `jp-CodeAct-diffLine jp-mod-${line.kind}`;
      const mark =
        line.kind === 'added' ? '+' : line.kind === 'removed' ? '-' : ' ';
      row.textContent = `${mark} ${line.text}`;
      diff.appendChild(row);
    }
    const buttons = document.createElement('div');
    buttons.className = 'jp-CodeAct-proposalButtons';
    buttons.append(
      this._button('Accept', 'jp-mod-accept', true),
      this._button('Reject', 'jp-mod-reject', false)
    );
    const hint = document.createElement('span');
    hint.className = 'jp-CodeAct-proposalHint';
    hint.textContent = 'Ctrl+Enter accepts, Escape rejects';
    buttons.appendChild(hint);
    this.node.append(header, diff, buttons);
  }

  /** Resolves with the user's answer (true: accept). */
  get decision(): Promise<boolean> {
    return this._decision.promise;
  }

  decide(accept: boolean): void {
    this._decision.resolve(accept);
  }

  private _button(
    label: string,
    className: string,
    accept: boolean
  ): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `jp-mod-styled ${className}`;
    button.textContent = label;
    button.addEventListener('click', () => this.decide(accept));
    return button;
  }

  private _decision = new PromiseDelegate<boolean>();
}

/**
 * Show `proposal` in `cell`, below its input, until it is decided (then
 * it is removed). Resolves with the decision.
 */
export async function showProposal(
  cell: Cell,
  proposal: ProposalWidget,
  options: { focus: boolean }
): Promise<boolean> {
  await cell.ready;
  const layout = cell.layout as PanelLayout;
  // Below the input (header and input wrapper come first).
  layout.insertWidget(Math.min(2, layout.widgets.length), proposal);
  cell.addClass(PENDING_CLASS);
  if (options.focus) {
    proposal.node.focus();
  }
  try {
    return await proposal.decision;
  } finally {
    cell.removeClass(PENDING_CLASS);
    proposal.dispose();
  }
}

const shown = new WeakMap<Cell, ProposalWidget>();

/**
 * Show a change of `cell` to `after` as a diff in the cell, scrolled into
 * view; resolves with what the user decides there. The focus moves to it
 * only from nowhere in particular, never from an input.
 */
export async function showChange(options: {
  panel: NotebookPanel;
  cell: CodeCell;
  after: string;
}): Promise<boolean> {
  const { panel, cell } = options;
  const widget = new ProposalWidget({
    before: cell.model.sharedModel.getSource(),
    after: options.after,
    label: 'CodeAct proposes this change to your cell:'
  });
  shown.set(cell, widget);
  const index = panel.content.widgets.indexOf(cell);
  if (panel.isVisible && index >= 0) {
    await panel.content.scrollToItem(index, 'center').catch(() => undefined);
  }
  const active = document.activeElement;
  const focus =
    !active ||
    active === document.body ||
    (panel.node.contains(active) && !cell.editor?.hasFocus());
  return showProposal(cell, widget, { focus });
}

/**
 * The change shown in `cell` was decided elsewhere (the chat, a command):
 * close it with that decision.
 */
export function hideChange(cell: Cell, accepted: boolean): void {
  shown.get(cell)?.decide(accepted);
  shown.delete(cell);
}
