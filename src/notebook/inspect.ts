/**
 * Answer the server's questions about this page's copy of a notebook: what
 * it holds of a cell the agent wants to change (the same facts as
 * `Cells.inspect` in `jupyter_codeact/server/document/ops.py`). The page is
 * asked, not the file, because only it has the user's unsaved edits.
 */
import { CodeCell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { IFacts, IInspectMessage } from '../wire';
import { chatCells, userChange, cellProvenance } from './provenance';
import { cellInfo } from './read';

export function inspectCell(
  panel: NotebookPanel,
  question: IInspectMessage
): IFacts {
  const widgets = panel.content.widgets;
  if (question.user) {
    const cell = widgets.find(widget => widget.model.id === question.cell_id);
    return cell instanceof CodeCell
      ? {
          found: 1,
          cell_ids: [question.cell_id],
          change: null,
          source: cell.model.sharedModel.getSource(),
          ...(question.cell ? { cell: cell.model.toJSON() } : {})
        }
      : { found: 0, cell_ids: [], change: null, source: null };
  }
  const cells = widgets.map(cellInfo);
  const found = chatCells(cells, question.chat_id, question.ref);
  let change: IFacts['change'] = null;
  if (found.length === 1) {
    const cell = cells[found[0]];
    change = userChange(
      cellProvenance(cell.metadata)!,
      cell.source,
      cell.executionCount
    );
  }
  return {
    found: found.length,
    cell_ids: found.map(index => cells[index].id),
    change,
    source: null,
    // The cell as it is: what an undo of the turn that changes it gives back.
    ...(found.length === 1 ? { cell: widgets[found[0]].model.toJSON() } : {})
  };
}
