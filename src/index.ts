/**
 * Plugin wiring: the chat panel in the right sidebar, following the
 * active notebook; commands in the palette and the cell context menu;
 * the user settings.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { api } from './api';
import { askAboutCellMessage, fixErrorMessage } from './context';
import { NotebookExecutor } from './executor';
import { addNotebookKeys } from './notebookkeys';
import { ChatManager } from './manager';
import { AgentCellMarkers } from './notebook/markers';
import { findError } from './outputs';
import { setupDocs } from './panel/setup';
import { ChatPanel, codeactIcon } from './panel/widget';
import { SettingsModel } from './settings';
import { CommandIDs, ICodeActChats, PLUGIN_ID } from './tokens';

export * from './tokens';
export type {
  ChatState,
  ExecutionStatus,
  IChatEntry,
  IChatInfo,
  IPublicConfig,
  Role
} from './wire';
export { ChatModel } from './model';

const CATEGORY = 'CodeAct';
const CELL_SELECTOR = '.jp-Notebook .jp-Cell';

/**
 * The server's expression that summarises the kernel's variables, fetched
 * once; null (no variables in the context) if the server cannot give it.
 */
function variablesExpression(): () => Promise<string | null> {
  let expression: Promise<string | null> | null = null;
  return () => {
    expression ??= api
      .contextExpression()
      .then(reply => reply.expression || null)
      .catch(error => {
        console.warn('CodeAct: no kernel variables in the context', error);
        expression = null;
        return null;
      });
    return expression;
  };
}

function activate(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  rendermime: IRenderMimeRegistry,
  docManager: IDocumentManager,
  restorer: ILayoutRestorer | null,
  palette: ICommandPalette | null,
  settingRegistry: ISettingRegistry | null,
  languages: IEditorLanguageRegistry | null
): ICodeActChats {
  const settings = new SettingsModel();
  if (settingRegistry) {
    settingRegistry
      .load(PLUGIN_ID)
      .then(loaded => settings.connect(loaded))
      .catch(reason => {
        console.error(`${PLUGIN_ID}: failed to load settings`, reason);
      });
  }

  const untrustedOutputs = (): boolean =>
    settings.current.untrustedAgentOutputs ||
    (manager.config?.untrusted_agent_outputs ?? false);
  const executor = new NotebookExecutor({
    tracker,
    docManager,
    settings: () => settings.current,
    variablesExpression: variablesExpression(),
    untrustedOutputs,
    contents: app.serviceManager.contents,
    commands: app.commands
  });
  const manager = new ChatManager({
    executor,
    settings: () => settings.current,
    userApprovalMode: () => settings.userApprovalMode,
    userActionStyle: () => settings.userActionStyle,
    untrustedOutputs,
    createNotebook: async () => {
      const kernelName =
        app.serviceManager.kernelspecs.specs?.default ?? undefined;
      const widget = await app.commands.execute('notebook:create-new', {
        kernelName
      });
      return widget instanceof NotebookPanel ? widget : null;
    }
  });

  const openSetup = (): void => {
    for (const widget of app.shell.widgets('main')) {
      if (widget.id === 'jp-codeact-setup') {
        app.shell.activateById(widget.id);
        return;
      }
    }
    void setupDocs(rendermime).then(widget => {
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
    });
  };
  const panel = new ChatPanel({
    manager,
    rendermime,
    settings,
    languages,
    openSetup
  });
  panel.title.caption = 'CodeAct chat';
  app.shell.add(panel, 'right', { rank: 600 });
  if (restorer) {
    restorer.add(panel, 'jupyter-codeact-chat');
  }

  new AgentCellMarkers({
    tracker,
    chatTitle: chatId => manager.chatTitle(chatId),
    titlesChanged: manager.titlesChanged
  });

  // Every notebook open in this page takes the agent's changes (its chat's
  // socket says it holds the notebook); the panel follows the active one.
  tracker.forEach(notebook => void manager.open(notebook));
  tracker.widgetAdded.connect((_, notebook) => void manager.open(notebook));
  void manager.follow(tracker.currentWidget);
  tracker.currentChanged.connect((_, notebook) => {
    void manager.follow(notebook);
  });

  const openPanel = (): void => {
    app.shell.activateById(panel.id);
    // A collaborator may have started the notebook's chat since it was opened here.
    void manager.follow(tracker.currentWidget);
  };
  const activeCodeCell = (): CodeCell | null => {
    const cell = tracker.activeCell;
    return cell instanceof CodeCell ? cell : null;
  };
  const activeCellNumber = (): number =>
    (tracker.currentWidget?.content.activeCellIndex ?? 0) + 1;

  const { commands } = app;
  commands.addCommand(CommandIDs.open, {
    label: 'Open the CodeAct Chat',
    icon: codeactIcon,
    execute: openPanel
  });
  commands.addCommand(CommandIDs.newChat, {
    label: 'New CodeAct Chat',
    isEnabled: () => !!tracker.currentWidget,
    execute: async () => {
      openPanel();
      await manager.newChat();
      panel.focusInput();
    }
  });
  commands.addCommand(CommandIDs.focusInput, {
    label: 'Focus the CodeAct Chat Input',
    execute: () => {
      openPanel();
      panel.focusInput();
    }
  });
  commands.addCommand(CommandIDs.askAboutCell, {
    label: 'Ask CodeAct About This Cell',
    isEnabled: () => !!tracker.activeCell,
    execute: () => {
      const cell = tracker.activeCell;
      if (!cell) {
        return;
      }
      openPanel();
      panel.composer.value = askAboutCellMessage(
        cell.model.sharedModel.getSource(),
        activeCellNumber()
      );
      panel.focusInput();
    }
  });
  commands.addCommand(CommandIDs.fixCellError, {
    label: 'Fix the Error in This Cell with CodeAct',
    isEnabled: () => {
      const cell = activeCodeCell();
      return !!cell && !!findError(cell.model.outputs.toJSON());
    },
    isVisible: () => !!activeCodeCell(),
    execute: async () => {
      const cell = activeCodeCell();
      const error = cell ? findError(cell.model.outputs.toJSON()) : null;
      if (!cell || !error) {
        return;
      }
      openPanel();
      await manager.follow(tracker.currentWidget);
      await manager.send(
        fixErrorMessage(
          cell.model.sharedModel.getSource(),
          error,
          activeCellNumber()
        ),
        { fixCell: cell.model.id }
      );
    }
  });
  // The change to the user's cell waiting for an answer: the one of the
  // active cell, else the newest.
  const pendingChange = (): string | null => {
    const changes = executor.pendingChanges();
    const active = tracker.activeCell?.model.id;
    const change =
      changes.find(item => item.cellId === active) ??
      changes[changes.length - 1];
    return change?.requestId ?? null;
  };
  commands.addCommand(CommandIDs.acceptChange, {
    label: 'Accept the Change Proposed by CodeAct',
    isEnabled: () => pendingChange() !== null,
    execute: () => {
      const requestId = pendingChange();
      const change = requestId
        ? executor.pendingApproval(requestId)
        : undefined;
      if (requestId && change) {
        executor.decide(requestId, { run: true, code: change.code });
      }
    }
  });
  commands.addCommand(CommandIDs.rejectChange, {
    label: 'Reject the Change Proposed by CodeAct',
    isEnabled: () => pendingChange() !== null,
    execute: () => {
      const requestId = pendingChange();
      if (requestId) {
        executor.decide(requestId, { run: false });
      }
    }
  });
  addNotebookKeys(commands, tracker, executor);
  commands.addCommand(CommandIDs.stop, {
    label: 'Stop the CodeAct Agent',
    isEnabled: () => !!manager.current?.busy,
    execute: () => manager.stop()
  });

  commands.addKeyBinding({
    command: CommandIDs.focusInput,
    keys: ['Accel Shift Y'],
    selector: 'body'
  });
  // While the proposed change has the focus; more specific than the
  // notebook's own shortcuts for its focused descendants.
  const proposal =
    '.jp-Notebook .jp-Cell.jp-CodeAct-hasProposal .jp-CodeAct-proposal:focus';
  commands.addKeyBinding({
    command: CommandIDs.acceptChange,
    keys: ['Accel Enter'],
    selector: proposal
  });
  commands.addKeyBinding({
    command: CommandIDs.rejectChange,
    keys: ['Escape'],
    selector: proposal
  });
  if (palette) {
    for (const command of [
      CommandIDs.open,
      CommandIDs.newChat,
      CommandIDs.focusInput,
      CommandIDs.askAboutCell,
      CommandIDs.fixCellError,
      CommandIDs.stop,
      CommandIDs.acceptChange,
      CommandIDs.rejectChange
    ]) {
      palette.addItem({ command, category: CATEGORY });
    }
  }
  app.contextMenu.addItem({
    command: CommandIDs.askAboutCell,
    selector: CELL_SELECTOR,
    rank: 20
  });
  app.contextMenu.addItem({
    command: CommandIDs.fixCellError,
    selector: CELL_SELECTOR,
    rank: 21
  });

  return manager;
}

/**
 * The jupyter-codeact front end.
 */
const plugin: JupyterFrontEndPlugin<ICodeActChats> = {
  id: PLUGIN_ID,
  description: 'A notebook-native CodeAct agent for JupyterLab.',
  autoStart: true,
  provides: ICodeActChats,
  requires: [INotebookTracker, IRenderMimeRegistry, IDocumentManager],
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ISettingRegistry,
    IEditorLanguageRegistry
  ],
  activate
};

export default plugin;
