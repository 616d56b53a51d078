/**
 * Narration: the model's prose before an action, as a markdown cell just
 * above the action's code cell, so the notebook reads as a report.
 */
import { Cell, MarkdownCell } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';

import { modelMarkdown } from '../panel/math';
import { insertMarkdown, replaceSource, updateProvenance } from './edit';
import { InsertPosition } from '../tokens';
import { insertionIndex } from './placement';
import { cellProvenance, sourceHash } from './provenance';

/**
 * Explain `codeCell` (an agent cell) with `prose`: the explanation cell
 * above it is rewritten (when the code was replaced and the user left the
 * explanation alone), else a new one is inserted. Model text is made safe
 * first: raw HTML shows as text, images become links. Returns the
 * explanation cell, or null if none was written.
 */
export function narrate(
  notebook: Notebook,
  codeCell: Cell,
  prose: string
): Cell | null {
  const source = modelMarkdown(prose.trim());
  const provenance = cellProvenance(codeCell.model.metadata);
  const index = notebook.widgets.indexOf(codeCell);
  if (!source || !provenance || index < 0) {
    return null;
  }
  const explanation = { ...provenance, role: 'narration' as const };
  const above = index > 0 ? notebook.widgets[index - 1] : null;
  const previous = above ? cellProvenance(above.model.metadata) : null;
  if (
    above &&
    previous?.role === 'narration' &&
    previous.chat_id === provenance.chat_id &&
    previous.cell === provenance.cell
  ) {
    const current = above.model.sharedModel.getSource();
    if (previous.code_hash && sourceHash(current) !== previous.code_hash) {
      return null; // the user rewrote the explanation: it is theirs
    }
    replaceSource(above.model.sharedModel, source);
    updateProvenance(above, { ...explanation, code_hash: sourceHash(source) });
    if (above instanceof MarkdownCell) {
      above.rendered = true;
    }
    return above;
  }
  return insertMarkdown(notebook, index, source, {
    ...explanation,
    code_hash: sourceHash(source),
    execution_count: undefined
  });
}

/**
 * Insert a final answer as a markdown cell below the chat's last cell
 * (model text made safe, as for explanations, money kept as money).
 */
export function insertAnswer(options: {
  notebook: Notebook;
  chatId: string;
  text: string;
  lastCellId: string | null;
  position: InsertPosition;
}): Cell | null {
  const { notebook, chatId } = options;
  const index = insertionIndex({
    cells: notebook.widgets.map(cell => ({
      id: cell.model.id,
      chatId: cellProvenance(cell.model.metadata)?.chat_id ?? null
    })),
    activeIndex: notebook.activeCell ? notebook.activeCellIndex : null,
    lastCellId: options.lastCellId,
    chatId,
    position: options.position
  });
  return insertMarkdown(notebook, index, modelMarkdown(options.text), {
    chat_id: chatId,
    turn: 0,
    action_id: '',
    request_id: '',
    role: 'answer'
  });
}
