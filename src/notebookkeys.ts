/**
 * The notebook's keys where CodeAct changes what they do: the run keys in
 * a cell that waits for approval, and the notebook's undo and redo on
 * Ctrl+Z / Ctrl+Shift+Z in command mode.
 */
import type { CommandRegistry } from '@lumino/commands';
import { INotebookTracker } from '@jupyterlab/notebook';

import { IPendingApproval, NotebookExecutor } from './executor';
import { CommandIDs } from './tokens';

export function addNotebookKeys(
  commands: CommandRegistry,
  tracker: INotebookTracker,
  executor: NotebookExecutor
): void {
  // The notebook's run keys in a pending cell answer its approval: Run
  // through the server (which runs what the cell holds then), never a
  // second run of the cell in the page's kernel.
  const pendingHere = (): IPendingApproval | undefined => {
    const cell = tracker.activeCell?.model.id;
    return cell ? executor.pendingInCell(cell) : undefined;
  };
  commands.addCommand(CommandIDs.runPending, {
    label: 'Run the Cell Waiting for Your Approval',
    isEnabled: () => pendingHere() !== undefined,
    execute: () => {
      const pending = pendingHere();
      if (pending) {
        executor.decide(pending.requestId, { run: true, code: pending.code });
      }
    }
  });
  // More specific than the notebook's own run keys, in both modes.
  for (const selector of [
    '.jp-Notebook.jp-mod-editMode .jp-CodeAct-pendingCell',
    '.jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) .jp-CodeAct-pendingCell:focus'
  ]) {
    for (const keys of [['Shift Enter'], ['Accel Enter'], ['Alt Enter']]) {
      commands.addKeyBinding({
        command: CommandIDs.runPending,
        keys,
        selector
      });
    }
  }
  // The notebook's undo (Z) and redo (Shift Z) on Ctrl+Z / Ctrl+Shift+Z in
  // command mode too, where JupyterLab binds neither: an agent's turn and
  // its undo are each one step of that history.
  const commandMode =
    '.jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus';
  commands.addKeyBinding({
    command: 'notebook:undo-cell-action',
    keys: ['Accel Z'],
    selector: commandMode
  });
  commands.addKeyBinding({
    command: 'notebook:redo-cell-action',
    keys: ['Accel Shift Z'],
    selector: commandMode
  });
}
