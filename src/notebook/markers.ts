/**
 * Agent cells are visibly the agent's: a subtle marker in the prompt area
 * (styled by `.jp-CodeAct-agentCell` in style/base.css, with the theme's
 * colours) and the chat's title on hover. Follows every notebook of the
 * tracker: cells added, metadata changed, chats renamed.
 */
import { Cell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal } from '@lumino/signaling';

import { cellProvenance } from './provenance';

const AGENT_CLASS = 'jp-CodeAct-agentCell';

export interface IMarkerOptions {
  tracker: INotebookTracker;
  /** The title of chat `chatId`, if this page knows it. */
  chatTitle: (chatId: string) => string | null;
  /** Emitted when chat titles may have changed. */
  titlesChanged: ISignal<unknown, void>;
}

/**
 * The hover text of an agent cell.
 */
export function markerTitle(
  title: string | null,
  role: string | undefined,
  cellRef: string | undefined
): string {
  const what =
    role === 'narration'
      ? 'Explanation written by CodeAct'
      : role === 'answer'
        ? 'Answer of CodeAct'
        : 'Written by CodeAct';
  const chat = title ? ` in the chat “${title}”` : '';
  const id = cellRef ? ` (cell ${cellRef})` : '';
  return `${what}${chat}${id}`;
}

export class AgentCellMarkers {
  constructor(options: IMarkerOptions) {
    this._options = options;
    options.tracker.widgetAdded.connect((_, panel) => this._watch(panel));
    options.tracker.forEach(panel => this._watch(panel));
    options.titlesChanged.connect(() => {
      options.tracker.forEach(panel => this._markAll(panel));
    });
  }

  private _watch(panel: NotebookPanel): void {
    const notebook = panel.content;
    const connect = (): void => {
      const model = notebook.model;
      if (!model) {
        return;
      }
      model.cells.changed.connect(() => this._markAll(panel));
      this._markAll(panel);
    };
    notebook.modelChanged.connect(connect);
    connect();
  }

  private _markAll(panel: NotebookPanel): void {
    for (const cell of panel.content.widgets) {
      if (!this._connected.has(cell)) {
        this._connected.add(cell);
        cell.model.metadataChanged.connect(() => this.mark(cell));
        cell.disposed.connect(() => this._connected.delete(cell));
      }
      this.mark(cell);
    }
  }

  /**
   * Mark `cell` if the agent wrote it, unmark it otherwise.
   */
  mark(cell: Cell): void {
    if (cell.isDisposed) {
      return;
    }
    const provenance = cellProvenance(cell.model.metadata);
    cell.toggleClass(AGENT_CLASS, provenance !== null);
    const title = provenance
      ? markerTitle(
          this._options.chatTitle(provenance.chat_id),
          provenance.role,
          provenance.cell
        )
      : null;
    // The prompt exists once the cell has rendered (cells far from the
    // viewport are placeholders until then).
    void cell.ready.then(() => {
      const prompt = cell.promptNode;
      if (!prompt || cell.isDisposed) {
        return;
      }
      if (title) {
        prompt.title = title;
      } else if (prompt.title.startsWith('Written by CodeAct')) {
        prompt.removeAttribute('title');
      }
    });
  }

  private _options: IMarkerOptions;
  private _connected = new WeakSet<Cell>();
}
