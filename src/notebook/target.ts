/**
 * Where the code of an `execute` request goes in the notebook: a new
 * cell, in place of an agent cell's code, a proposed change to the
 * user's cell, or nowhere (refused). The server says which cell the model
 * meant (jupyter_codeact/core/cells.py has the rule); only this side
 * knows whether the user has changed that cell since.
 */
import { Cell, CodeCell } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';

import { InsertPosition } from '../tokens';
import { IExecuteMessage } from '../wire';
import { insertionIndex } from './placement';
import {
  cellProvenance,
  chatCells,
  ICellInfo,
  whyNotReplaceable
} from './provenance';

/** The first letter of the ids this page gives the user's cells. */
export const USER_CELL_PREFIX = 'u';

export type Target =
  /**
   * Insert a new cell at `index`; `note` says why when it was meant to
   * replace; `keep`: the failed cell it goes below, to cut to `trimTo` (or
   * mark as failed) first.
   */
  | {
      kind: 'new';
      index: number;
      note: string;
      keep?: { cell: CodeCell; trimTo: string };
    }
  | { kind: 'replace'; cell: CodeCell }
  /** The user's cell: only a change they accept. */
  | { kind: 'propose'; cell: CodeCell }
  | { kind: 'refuse'; note: string };

export interface ITargetOptions {
  notebook: Notebook;
  chatId: string;
  request: IExecuteMessage;
  /** The last cell this chat inserted in this page, if known. */
  lastCellId: string | null;
  position: InsertPosition;
  /** The notebook cell id the user allowed a change to under `ref`, if any. */
  userCell: (ref: string) => string | undefined;
}

export function cellInfo(cell: Cell): ICellInfo {
  const model = cell.model;
  return {
    id: model.id,
    type: model.type,
    source: model.sharedModel.getSource(),
    executionCount: cell instanceof CodeCell ? cell.model.executionCount : null,
    metadata: model.metadata
  };
}

/**
 * The target of `options.request`.
 */
export function findTarget(options: ITargetOptions): Target {
  const { notebook, chatId, request } = options;
  const widgets = notebook.widgets;
  const newIndex = (below: number | null = null): number =>
    below !== null
      ? below + 1
      : insertionIndex({
          cells: widgets.map(cell => ({
            id: cell.model.id,
            chatId: cellProvenance(cell.model.metadata)?.chat_id ?? null
          })),
          activeIndex: notebook.activeCell ? notebook.activeCellIndex : null,
          lastCellId: options.lastCellId,
          chatId,
          position: options.position
        });
  const ref = request.replaces ?? '';
  if (request.keeps) {
    return keepTarget(widgets, chatId, request, newIndex);
  }
  if (!ref) {
    return { kind: 'new', index: newIndex(), note: '' };
  }
  const granted = options.userCell(ref);
  if (granted !== undefined) {
    const cell = widgets.find(widget => widget.model.id === granted);
    return cell instanceof CodeCell
      ? { kind: 'propose', cell }
      : {
          kind: 'refuse',
          note: `The user's cell ${ref} is no longer in the notebook.`
        };
  }
  if (ref.startsWith(USER_CELL_PREFIX)) {
    return {
      kind: 'refuse',
      note: `The user's cell ${ref} can no longer be changed from this page (it was reloaded); the user can ask for the fix again.`
    };
  }
  const cells = widgets.map(cellInfo);
  const why = whyNotReplaceable(cells, chatId, ref);
  if (why === null) {
    const cell = widgets[chatCells(cells, chatId, ref)[0]];
    return { kind: 'replace', cell: cell as CodeCell };
  }
  if (!request.or_new) {
    return { kind: 'refuse', note: why };
  }
  const found = chatCells(cells, chatId, ref);
  const below = found.length ? found[found.length - 1] : null;
  return {
    kind: 'new',
    index: newIndex(below),
    note: `${why} Your code went into a new cell instead.`
  };
}

/**
 * The target of an action that keeps the failed cell `request.keeps`: a
 * new cell right below it, which is cut or marked first if it is still the
 * agent's unchanged cell (else it is left as the user has it).
 */
function keepTarget(
  widgets: readonly Cell[],
  chatId: string,
  request: IExecuteMessage,
  newIndex: (below?: number | null) => number
): Target {
  const ref = request.keeps!;
  const cells = widgets.map(cellInfo);
  const found = chatCells(cells, chatId, ref);
  const why = whyNotReplaceable(cells, chatId, ref);
  if (why === null) {
    return {
      kind: 'new',
      index: newIndex(found[0]),
      note: '',
      keep: {
        cell: widgets[found[0]] as CodeCell,
        trimTo: request.trim_to ?? ''
      }
    };
  }
  const below = found.length ? found[found.length - 1] : null;
  return {
    kind: 'new',
    index: newIndex(below),
    note: found.length ? `${why} It was left as it is.` : why
  };
}
