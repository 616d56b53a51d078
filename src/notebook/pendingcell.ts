/**
 * The controls of a pending cell (*Ask before running*): a bar on the cell
 * itself, above its input, saying that CodeAct waits for the user, with
 * Run, Edit and Skip. A replacement of an agent cell's code also shows the
 * change as a diff (the cell keeps its code until the user decides); its
 * Edit puts the proposal into the cell's editor. The server holds the
 * approval: these buttons only answer it (`approvals.ts`).
 */
import { Cell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { PanelLayout, Widget } from '@lumino/widgets';

import { lineDiff } from './diff';
import { replaceSource } from './edit';

/** The class of a cell that waits for approval (the styles, the key bindings). */
export const PENDING_CELL_CLASS = 'jp-CodeAct-pendingCell';

export interface IPendingCellOptions {
  /** A replacement: the cell's code and the proposal, shown as a diff. */
  diff?: { before: string; after: string };
  run: () => void;
  edit: () => void;
  skip: () => void;
}

export class PendingCellWidget extends Widget {
  constructor(options: IPendingCellOptions) {
    super();
    this.addClass('jp-CodeAct-pendingBar');
    this.node.setAttribute('role', 'group');
    this.node.setAttribute('aria-label', 'Cell waiting for your approval');
    const header = document.createElement('div');
    header.className = 'jp-CodeAct-pendingHeader';
    const label = document.createElement('span');
    label.className = 'jp-CodeAct-pendingLabel';
    label.textContent = options.diff
      ? 'CodeAct proposes to replace this code; it runs when you say so'
      : 'Proposed by CodeAct; it runs when you say so';
    header.append(
      label,
      this._button('Run', 'jp-mod-accept', options.run),
      this._button('Edit', '', options.edit),
      this._button('Skip', 'jp-mod-reject', options.skip)
    );
    this.node.appendChild(header);
    if (options.diff) {
      this._diff = document.createElement('pre');
      this._diff.className = 'jp-CodeAct-diff';
      this._diff.setAttribute('aria-label', 'Proposed change');
      for (const line of lineDiff(options.diff.before, options.diff.after)) {
        const row = document.createElement('div');
        row.className = `jp-CodeAct-diffLine jp-mod-${line.kind}`;
        const mark =
          line.kind === 'added' ? '+' : line.kind === 'removed' ? '-' : ' ';
        row.textContent = `${mark} ${line.text}`;
        this._diff.appendChild(row);
      }
      this.node.appendChild(this._diff);
    }
  }

  /** The proposal went into the editor: the diff has done its job. */
  hideDiff(): void {
    this._diff?.remove();
    this._diff = null;
  }

  private _button(
    text: string,
    className: string,
    onClick: () => void
  ): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `jp-mod-styled ${className}`.trim();
    button.textContent = text;
    button.addEventListener('click', onClick);
    return button;
  }

  private _diff: HTMLElement | null = null;
}

/** Put `widget` on `cell`, above its input, and mark the cell pending. */
export async function attachPending(
  cell: Cell,
  widget: PendingCellWidget
): Promise<void> {
  await cell.ready;
  if (cell.isDisposed || widget.isDisposed) {
    return;
  }
  const layout = cell.layout as PanelLayout;
  // After the cell's header, before its input.
  layout.insertWidget(Math.min(1, layout.widgets.length), widget);
  cell.addClass(PENDING_CELL_CLASS);
  widget.disposed.connect(() => {
    if (!cell.isDisposed) {
      cell.removeClass(PENDING_CELL_CLASS);
    }
  });
}

/**
 * Edit the pending cell in the notebook's own editor: select it, put a
 * replacement's proposal into it (one step of the cell's undo history),
 * and give it the keyboard.
 */
export async function editPending(
  panel: NotebookPanel,
  cell: Cell,
  proposal: { before: string; after: string } | null
): Promise<void> {
  const notebook = panel.content;
  const index = notebook.widgets.indexOf(cell);
  if (index < 0) {
    return;
  }
  if (proposal && cell.model.sharedModel.getSource() === proposal.before) {
    replaceSource(cell.model.sharedModel, proposal.after);
  }
  notebook.deselectAll();
  notebook.activeCellIndex = index;
  await notebook.scrollToItem(index, 'smart').catch(() => undefined);
  notebook.mode = 'edit';
  cell.editor?.focus();
}
