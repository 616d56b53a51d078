/**
 * The notebook context sent with a user message: pure formatting of what
 * the executor read from the notebook and its kernel, bounded in size.
 */
import type * as nbformat from '@jupyterlab/nbformat';

import { outputText } from './outputs';

/**
 * One cell as read from the notebook.
 */
export interface ICellSnapshot {
  index: number;
  type: 'code' | 'markdown' | 'raw';
  source: string;
  outputs: readonly nbformat.IOutput[];
  executionCount: number | null;
}

/**
 * What the executor read of a notebook: its cells, the active one and a
 * summary of the kernel's variables.
 */
export interface INotebookSnapshot {
  path: string;
  kernel: string | null;
  cells: readonly ICellSnapshot[];
  /** The index of the active (selected) cell, if any. */
  activeIndex: number | null;
  /** The kernel's variables, as the server's expression summarised them. */
  variables: string | null;
  /** The cells the chat wrote (their ids and state), already bounded. */
  agentCells?: string;
  /** What the user changed since the chat last looked, already bounded. */
  changes?: string;
}

export interface IContextLimits {
  /** How many cells before the selected one are included. */
  cells: number;
  /** Characters of one cell's source. */
  maxSourceChars: number;
  /** Characters of one cell's outputs. */
  maxOutputChars: number;
  /** Characters of the variables summary. */
  maxVariablesChars: number;
  /** Characters of the whole context; the oldest cells go first. */
  maxChars: number;
}

export const DEFAULT_CONTEXT_LIMITS: IContextLimits = {
  cells: 5,
  maxSourceChars: 2000,
  maxOutputChars: 1000,
  maxVariablesChars: 3000,
  maxChars: 12000
};

function clip(text: string, limit: number): string {
  if (text.length <= limit) {
    return text;
  }
  const head = Math.floor(limit / 2);
  const tail = limit - head;
  return `${text.slice(0, head)}\n... [${text.length - limit} characters cut] ...\n${text.slice(-tail)}`;
}

function describeCell(
  cell: ICellSnapshot,
  label: string,
  limits: IContextLimits
): string {
  const count =
    cell.type === 'code' && cell.executionCount !== null
      ? ` [In ${cell.executionCount}]`
      : '';
  const parts = [
    `--- ${label}${cell.index + 1} (${cell.type})${count} ---`,
    clip(cell.source, limits.maxSourceChars)
  ];
  const output = cell.outputs
    .map(outputText)
    .filter(text => text)
    .join('\n')
    .trimEnd();
  if (output) {
    parts.push('--- output ---', clip(output, limits.maxOutputChars));
  }
  return parts.join('\n');
}

/**
 * The context text for `notebook`: a header, the chat's own cells and the
 * user's changes since it last looked, the cells before the selected cell
 * (at most `limits.cells`), the selected cell, and the kernel's
 * variables; at most `limits.maxChars` characters, dropping the oldest
 * cells first.
 */
export function formatContext(
  notebook: INotebookSnapshot,
  limits: IContextLimits = DEFAULT_CONTEXT_LIMITS
): string {
  const total = notebook.cells.length;
  const active =
    notebook.activeIndex !== null && notebook.activeIndex < total
      ? notebook.activeIndex
      : null;
  const end = active ?? total;
  const recent = notebook.cells
    .slice(Math.max(0, end - limits.cells), end)
    .map(cell => describeCell(cell, 'cell ', limits));
  const header = `Notebook ${notebook.path} (kernel: ${
    notebook.kernel ?? 'none'
  }), ${total} cell${total === 1 ? '' : 's'}.`;
  const tail: string[] = [];
  if (active !== null) {
    tail.push(describeCell(notebook.cells[active], 'selected cell ', limits));
  }
  if (notebook.variables) {
    tail.push(
      `Kernel variables:\n${clip(notebook.variables, limits.maxVariablesChars)}`
    );
  }
  const own = [notebook.agentCells ?? '', notebook.changes ?? ''];
  const build = (): string =>
    [header, ...own, ...recent, ...tail].filter(part => part).join('\n');
  let text = build();
  while (text.length > limits.maxChars && recent.length) {
    recent.shift();
    text = build();
  }
  return clip(text, limits.maxChars);
}

/**
 * The message of the "fix the error in this cell" command.
 */
export function fixErrorMessage(
  source: string,
  error: nbformat.IError,
  cellNumber: number
): string {
  const traceback = outputText(error);
  return [
    `Fix the error in cell ${cellNumber}:`,
    '```python',
    source,
    '```',
    'It fails with:',
    '```',
    clip(traceback, 4000),
    '```'
  ].join('\n');
}

/**
 * The starting text of the "ask about the selected cell" command.
 */
export function askAboutCellMessage(
  source: string,
  cellNumber: number
): string {
  return [`About cell ${cellNumber}:`, '```python', source, '```', ''].join(
    '\n'
  );
}
