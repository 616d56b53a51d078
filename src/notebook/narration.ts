/**
 * The final answer as a markdown cell, when the user asks for it (*Insert
 * answer in notebook*). The explanations of the steps (*Explain steps in
 * markdown cells*) are written by the server, as document operations.
 */
import { Cell } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';

import { modelMarkdown } from '../panel/math';
import { insertMarkdown } from './edit';
import { InsertPosition } from '../tokens';
import { insertionIndex } from './placement';
import { cellProvenance } from './provenance';

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
