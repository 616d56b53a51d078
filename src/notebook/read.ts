/**
 * Read a notebook for the chat's context: its cells, the chat's own cells
 * with their ids, what the user changed since the chat last looked, and
 * the kernel's variables. One pass over the notebook per request.
 */
import { Cell, CodeCell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import {
  DEFAULT_CONTEXT_LIMITS,
  formatContext,
  ICellSnapshot,
  IContextLimits
} from '../context';
import { findError } from '../outputs';
import {
  changesSince,
  describeChanges,
  ILookedCell,
  look,
  Look
} from './changes';
import { cellProvenance, ICellInfo, userChange } from './provenance';
import { kernelVariables } from './variables';

/**
 * A cell as the provenance lookups need it.
 */
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

/** The chat's cells listed in full; older ones are counted. */
const MAX_AGENT_CELLS = 30;

export interface IReadOptions {
  panel: NotebookPanel;
  /** The chat the context is for (null: a chat not created yet). */
  chatId: string | null;
  /** What the chat saw at its last look (null: it never looked). */
  before: Look | null;
  variablesExpression: () => Promise<string | null>;
  limits: Partial<IContextLimits>;
}

/**
 * The cells of `chatId` in `cells`, with their ids and what became of
 * them; '' when there are none.
 */
export function describeAgentCells(
  cells: readonly (ICellSnapshot & {
    metadata: Readonly<Record<string, unknown>>;
  })[],
  chatId: string
): string {
  const lines: string[] = [];
  for (const cell of cells) {
    const provenance = cellProvenance(cell.metadata);
    if (
      cell.type !== 'code' ||
      provenance?.chat_id !== chatId ||
      !provenance.cell ||
      provenance.role
    ) {
      continue;
    }
    const change = userChange(provenance, cell.source, cell.executionCount);
    const state = change
      ? `${change} by the user since: theirs now, cannot be replaced`
      : findError(cell.outputs)
        ? 'failed'
        : 'ok';
    const first = cell.source.split('\n', 1)[0].slice(0, 80);
    lines.push(
      `- ${provenance.cell}: cell ${cell.index + 1}, ${state}: ${first}`
    );
  }
  if (!lines.length) {
    return '';
  }
  const more = lines.length - MAX_AGENT_CELLS;
  const shown =
    more > 0 ? [`- (${more} older cells)`, ...lines.slice(more)] : lines;
  return [
    'Cells you wrote in this chat (replace one by its id instead of adding a near-copy):',
    ...shown
  ].join('\n');
}

/**
 * The context text of `options.panel`, and the look to remember for the
 * chat (the notebook as the model now sees it).
 */
export async function readContext(
  options: IReadOptions
): Promise<{ text: string; look: Look }> {
  const { panel, chatId, before } = options;
  const notebook = panel.content;
  const cells: (ICellSnapshot & {
    metadata: Readonly<Record<string, unknown>>;
  })[] = [];
  const looked: ILookedCell[] = [];
  const model = notebook.model;
  if (model) {
    for (let index = 0; index < model.cells.length; index++) {
      const cell = model.cells.get(index);
      const code = cell.type === 'code' ? (cell as CodeCell['model']) : null;
      const snapshot = {
        index,
        type: cell.type as ICellSnapshot['type'],
        source: cell.sharedModel.getSource(),
        outputs: code ? code.outputs.toJSON() : [],
        executionCount: code ? code.executionCount : null,
        metadata: cell.metadata
      };
      cells.push(snapshot);
      looked.push({ ...snapshot, id: cell.id });
    }
  }
  const text = formatContext(
    {
      path: panel.context.path,
      kernel: panel.sessionContext.session?.kernel
        ? panel.sessionContext.kernelDisplayName
        : null,
      cells,
      activeIndex: notebook.activeCell ? notebook.activeCellIndex : null,
      variables: await kernelVariables(
        panel.sessionContext,
        options.variablesExpression
      ),
      agentCells: chatId ? describeAgentCells(cells, chatId) : '',
      changes: before ? describeChanges(changesSince(before, looked)) : ''
    },
    { ...DEFAULT_CONTEXT_LIMITS, ...options.limits }
  );
  return { text, look: look(looked) };
}
