/**
 * The chat view: header (notebook, model, New chat), the entries, the
 * state line and the input. It reads the manager's models and emits
 * intents; it never talks to the server or the notebook itself.
 */
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { PathExt } from '@jupyterlab/coreutils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { historyIcon } from '@jupyterlab/ui-components';
import React, { useLayoutEffect, useMemo, useState } from 'react';

import type { ChatManager } from '../manager';
import { ChatModel } from '../model';
import type { SettingsModel } from '../settings';
import { ChatState } from '../wire';
import { Composer, ComposerModel } from './composer';
import { IEntryContext } from './entries';
import { EntryList } from './entrylist';
import { HistoryList } from './history';
import { TrustPrompt } from './trust';
import {
  MIN_RENDER_INTERVAL_MS,
  useSignals,
  useThrottledSignals
} from './hooks';
import { ModelLine } from './modelpicker';

const STATE_LABELS: Record<ChatState, string> = {
  idle: 'Ready',
  thinking: 'Thinking…',
  running: 'Running cell…',
  waiting_approval: 'Waiting for you',
  done: 'Done',
  error: 'Error'
};

/**
 * Whether the current request waits for a decision of the user's (an
 * approval, a change to accept): its actions come after its request.
 */
function waitsForUser(
  model: ChatModel,
  executor: ChatManager['executor']
): boolean {
  const entries = model.entries;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry.role === 'user') {
      return false;
    }
    if (
      entry.role === 'action' &&
      entry.request_id &&
      executor.pendingApproval(entry.request_id)
    ) {
      return true;
    }
  }
  return false;
}

export interface IChatViewProps {
  manager: ChatManager;
  rendermime: IRenderMimeRegistry;
  composer: ComposerModel;
  settings: SettingsModel;
  /** JupyterLab's CodeMirror languages, to highlight code (null: plain). */
  languages?: IEditorLanguageRegistry | null;
  /** Show the README's section on setting up a model. */
  openSetup?: () => void;
}

function stateLine(
  model: ChatModel | null,
  waiting: boolean
): {
  text: string;
  state: string;
} {
  if (!model) {
    return { text: 'Ready', state: 'idle' };
  }
  if (model.connection === 'closed') {
    return { text: 'Disconnected: reconnecting…', state: 'error' };
  }
  if (model.connection === 'connecting' && !model.entries.length) {
    return { text: 'Connecting…', state: 'idle' };
  }
  // A decision of the user's (Run, Accept...) holds the run, whatever runs.
  const state = waiting && model.busy ? 'waiting_approval' : model.state;
  let text = STATE_LABELS[state];
  const last = model.entries[model.entries.length - 1];
  if (
    model.state === 'idle' &&
    last?.role === 'error' &&
    last.kind === 'stopped'
  ) {
    text = 'Stopped';
  }
  const tokens = model.snapshot.tokens;
  if (tokens > 0) {
    text += ` · ${tokens.toLocaleString()} tokens`;
  }
  return { text, state };
}

/**
 * "Rules: AGENTS.md": which rules the agent follows for this notebook,
 * each file (or the configured instructions) listed on hover.
 */
export function RulesLine(props: {
  files: readonly string[];
}): JSX.Element | null {
  const { files } = props;
  if (!files.length) {
    return null;
  }
  const names = [
    ...new Set(
      files.map(file =>
        file.startsWith('c.CodeAct.') ? 'instructions' : PathExt.basename(file)
      )
    )
  ];
  return (
    <div
      className="jp-CodeAct-rules"
      title={`The agent follows these rules:\n${files.join('\n')}`}
    >
      Rules: {names.join(', ')}
    </div>
  );
}

export function ChatView(props: IChatViewProps): JSX.Element {
  const { manager, rendermime, composer, settings } = props;
  const languages = props.languages ?? null;
  const executor = manager.executor;
  const [approvalsVersion, setApprovalsVersion] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const [historyOpen, setHistoryOpen] = useState(false);
  useSignals(manager.changed, settings.changed, manager.history.changed);
  const { notebook, session, loading, problems: unreadable } = manager.view;
  const model = session?.model ?? null;
  useThrottledSignals(MIN_RENDER_INTERVAL_MS, model?.changed);

  useLayoutEffect(() => {
    const bump = (): void => setApprovalsVersion(version => version + 1);
    executor.approvalsChanged.connect(bump);
    return () => {
      executor.approvalsChanged.disconnect(bump);
    };
  }, [executor]);

  const path = model?.chat?.path ?? notebook?.context.path ?? null;
  const context = useMemo<IEntryContext>(
    () => ({
      rendermime,
      languages,
      position: cellId => manager.cellPosition(cellId),
      focusInput: () => composer.focus(),
      reveal: cellId => {
        if (path) {
          void executor.reveal(path, cellId);
        }
      },
      approval: requestId => executor.pendingApproval(requestId),
      decide: (requestId, decision) => executor.decide(requestId, decision),
      edit: requestId => void executor.editPending(requestId),
      insertAnswer: async text => {
        const chatId = model?.chat?.id;
        if (!path || !chatId) {
          return false;
        }
        return (await executor.insertAnswer(path, chatId, text)) !== null;
      },
      undo: entryId => session?.undo(entryId),
      restartAndRun: () => {
        if (path) {
          void executor.restartAndRun(path);
        }
      }
    }),
    [rendermime, languages, executor, path, model, manager, composer, session]
  );

  const config = manager.config;
  const waiting = model ? waitsForUser(model, executor) : false;
  const status = stateLine(model, waiting);
  const busy = model?.busy ?? false;
  const problem = model?.snapshot.problem ?? notice;
  const unconfigured = !!config && !config.configured;
  const models = manager.models;

  const send = (text: string): void => {
    setNotice(null);
    manager.send(text).catch(error => {
      setNotice(String((error as Error).message ?? error));
    });
  };
  const report = (text: string): void => setNotice(text);

  return (
    <div className="jp-CodeAct-view">
      <div className="jp-CodeAct-header">
        <span className="jp-CodeAct-notebook" title={path ?? ''}>
          {path ? PathExt.basename(path) : 'No notebook'}
        </span>
        <button
          type="button"
          className="jp-CodeAct-iconButton jp-CodeAct-historyButton"
          aria-label="Chat history"
          aria-expanded={historyOpen}
          title="Earlier chats of this notebook"
          disabled={!notebook}
          onClick={() => setHistoryOpen(!historyOpen)}
        >
          <historyIcon.react tag="span" />
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-CodeAct-newChat"
          aria-label="New chat"
          title="Start a new chat for this notebook (this one stays in the history)"
          disabled={!notebook}
          onClick={() => {
            setHistoryOpen(false);
            manager.newChat().catch(error => {
              setNotice(String((error as Error).message ?? error));
            });
          }}
        >
          New chat
        </button>
      </div>
      <ModelLine
        config={config}
        configError={manager.configError}
        models={models}
        settings={settings}
      />
      <RulesLine files={manager.view.rules ?? []} />
      <TrustPrompt model={manager.trust} />
      {unreadable?.map(text => (
        <div
          key={text}
          className="jp-CodeAct-banner jp-mod-warning jp-CodeAct-unreadable"
          role="alert"
        >
          {text}
        </div>
      ))}
      {unconfigured && (
        <div className="jp-CodeAct-banner jp-mod-error" role="alert">
          <div>{config.problem ?? 'No model is set up.'}</div>
          {props.openSetup && (
            <button
              type="button"
              className="jp-CodeAct-cellLink jp-CodeAct-setupLink"
              onClick={props.openSetup}
            >
              How to set up a model (README: Point it at a model)
            </button>
          )}
        </div>
      )}
      {historyOpen && notebook ? (
        <HistoryList
          manager={manager}
          notebookName={PathExt.basename(notebook.context.path)}
          onClose={() => setHistoryOpen(false)}
          onProblem={report}
        />
      ) : model && model.entries.length ? (
        <EntryList
          key={model.chat?.id}
          model={model}
          context={context}
          approvalsVersion={approvalsVersion}
        />
      ) : (
        <div className="jp-CodeAct-empty">
          {loading
            ? 'Loading the chat…'
            : notebook
              ? 'Ask for something: the agent writes cells in this notebook, runs them, reads their outputs and answers here.'
              : 'Open a notebook, or ask for something and a new notebook will be created.'}
        </div>
      )}
      {problem && (
        <div className="jp-CodeAct-banner jp-mod-warning" role="alert">
          {problem}
        </div>
      )}
      <div
        className={`jp-CodeAct-status jp-mod-${status.state}`}
        role="status"
        aria-live="polite"
      >
        {status.text}
      </div>
      <Composer
        model={composer}
        busy={busy}
        disabled={unconfigured || !models.ready}
        approvalMode={manager.approvalMode}
        approvalRequired={manager.approvalRequired}
        onApprovalModeChange={mode => {
          void settings.set('approvalMode', mode);
        }}
        onSend={send}
        onStop={() => manager.stop()}
      />
    </div>
  );
}
