/**
 * The chat view: header (notebook, model, New chat), the entries, the
 * state line and the input. It reads the manager's models and emits
 * intents; it never talks to the server or the notebook itself.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import React, {
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState
} from 'react';

import type { ChatManager } from '../manager';
import { ChatModel, observationsByAction, supersededActions } from '../model';
import type { SettingsModel } from '../settings';
import { PathExt } from '@jupyterlab/coreutils';
import { ChatState } from '../wire';
import { Composer, ComposerModel } from './composer';
import { EntryView, IEntryContext } from './entries';
import {
  MIN_RENDER_INTERVAL_MS,
  useSignals,
  useThrottledSignals
} from './hooks';

const STATE_LABELS: Record<ChatState, string> = {
  idle: 'Ready',
  thinking: 'Thinking…',
  running: 'Running cell…',
  waiting_approval: 'Waiting for approval',
  done: 'Done',
  error: 'Error'
};

export interface IChatViewProps {
  manager: ChatManager;
  rendermime: IRenderMimeRegistry;
  composer: ComposerModel;
  settings: SettingsModel;
}

function stateLine(model: ChatModel | null): {
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
  let text = STATE_LABELS[model.state];
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
  return { text, state: model.state };
}

function Entries(props: {
  model: ChatModel;
  context: IEntryContext;
  approvalsVersion: number;
}): JSX.Element {
  const { model, context } = props;
  const list = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const entries = model.entries;
  const observations = useMemo(() => observationsByAction(entries), [entries]);
  const superseded = useMemo(() => supersededActions(entries), [entries]);
  // A chat several collaborators asked in names each request's author.
  const authors = useMemo(
    () =>
      new Set(
        entries
          .filter(entry => entry.role === 'user' && entry.author)
          .map(entry => entry.author!.username)
      ).size > 1,
    [entries]
  );

  // Keep the newest entry in view, unless the user scrolled up to read.
  // In the next frame, where the browser lays the page out anyway: reading
  // scrollHeight right after a render forces a layout of the whole page
  // (the notebook included) on every streamed token.
  useEffect(() => {
    if (!atBottom.current) {
      return;
    }
    const frame = requestAnimationFrame(() => {
      const node = list.current;
      if (node) {
        node.scrollTop = node.scrollHeight;
      }
    });
    return () => cancelAnimationFrame(frame);
  });

  return (
    <div
      ref={list}
      className="jp-CodeAct-entries"
      role="log"
      aria-label="CodeAct chat"
      onScroll={event => {
        const node = event.currentTarget;
        atBottom.current =
          node.scrollHeight - node.scrollTop - node.clientHeight < 24;
      }}
    >
      {entries.map(entry => (
        <EntryView
          key={entry.id}
          entry={entry}
          observation={
            entry.role === 'action' && entry.action_id
              ? observations.get(entry.action_id)
              : undefined
          }
          superseded={!!entry.action_id && superseded.has(entry.action_id)}
          authors={entry.role === 'user' && authors}
          context={context}
          approvalsVersion={
            entry.role === 'action' ? props.approvalsVersion : 0
          }
        />
      ))}
    </div>
  );
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
  const executor = manager.executor;
  const [approvalsVersion, setApprovalsVersion] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  useSignals(manager.changed, settings.changed);
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
      reveal: cellId => {
        if (path) {
          void executor.reveal(path, cellId);
        }
      },
      approval: requestId => executor.pendingApproval(requestId),
      decide: (requestId, decision) => executor.decide(requestId, decision),
      insertAnswer: async text => {
        const chatId = model?.chat?.id;
        if (!path || !chatId) {
          return false;
        }
        return (await executor.insertAnswer(path, chatId, text)) !== null;
      }
    }),
    [rendermime, executor, path, model]
  );

  const config = manager.config;
  const status = stateLine(model);
  const busy = model?.busy ?? false;
  const problem = model?.snapshot.problem ?? notice;

  const send = (text: string): void => {
    setNotice(null);
    manager.send(text).catch(error => {
      setNotice(String((error as Error).message ?? error));
    });
  };

  return (
    <div className="jp-CodeAct-view">
      <div className="jp-CodeAct-header">
        <span className="jp-CodeAct-notebook" title={path ?? ''}>
          {path ? PathExt.basename(path) : 'No notebook'}
        </span>
        <button
          type="button"
          className="jp-mod-styled jp-CodeAct-newChat"
          aria-label="New chat"
          title="Start a new chat for this notebook"
          disabled={!notebook}
          onClick={() => {
            manager.newChat().catch(error => {
              setNotice(String((error as Error).message ?? error));
            });
          }}
        >
          New chat
        </button>
      </div>
      <div className="jp-CodeAct-model" title="The model the server uses">
        {config
          ? `${config.model} · ${config.base_url ?? 'api.openai.com'}`
          : (manager.configError ?? 'Loading the configuration…')}
      </div>
      <RulesLine files={manager.view.rules ?? []} />
      {unreadable?.map(text => (
        <div
          key={text}
          className="jp-CodeAct-banner jp-mod-warning jp-CodeAct-unreadable"
          role="alert"
        >
          {text}
        </div>
      ))}
      {config && !config.configured && (
        <div className="jp-CodeAct-banner jp-mod-error" role="alert">
          {config.problem ?? 'No model is configured.'}
        </div>
      )}
      {model && model.entries.length ? (
        <Entries
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
        approvalMode={manager.approvalMode}
        onApprovalModeChange={mode => {
          void settings.set('approvalMode', mode);
        }}
        onSend={send}
        onStop={() => manager.stop()}
      />
    </div>
  );
}
