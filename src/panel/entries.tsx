/**
 * The views of chat entries, one per role (actions and observations are
 * in steps.tsx). Each rendered entry carries `data-codeact-role`.
 */
import React, { useState } from 'react';

import { IChatEntry } from '../wire';
import { TurnChanges } from './changes';
import { CodeBlock } from './codeblock';
import { Entry, IEntryContext } from './entry';
import { Markdown } from './markdown';
import { ActionEntry, ObservationEntry } from './steps';
import { prose, settledMarkdown, streamingView } from './text';
import { UserText } from './usertext';

function AssistantEntry(props: {
  entry: IChatEntry;
  context: IEntryContext;
}): JSX.Element | null {
  const { entry, context } = props;
  const text = entry.text ?? '';
  if (!entry.streaming) {
    const shown = entry.prose ?? prose(text);
    return shown ? (
      <Entry entry={entry}>
        <Markdown rendermime={context.rendermime} source={shown} />
      </Entry>
    ) : null;
  }
  const view = streamingView(text);
  // A native tool call's code streams apart from the text.
  const code = entry.code ?? view.code;
  const { settled, tail } = settledMarkdown(view.prose);
  return (
    <Entry entry={entry} className="jp-mod-streaming">
      {settled && <Markdown rendermime={context.rendermime} source={settled} />}
      {tail && <div className="jp-CodeAct-streamTail">{tail}</div>}
      {code !== null && (
        <CodeBlock
          code={code}
          languages={context.languages}
          label="Code being written"
          draft
        />
      )}
      {view.solution && (
        <Markdown rendermime={context.rendermime} source={view.solution} />
      )}
    </Entry>
  );
}

/**
 * "Thought for 3 s": how long the model's reasoning took to stream.
 */
export function thinkingLabel(durationMs: number | undefined): string {
  if (durationMs === undefined) {
    return 'Thoughts';
  }
  return `Thought for ${Math.max(1, Math.round(durationMs / 1000))} s`;
}

/**
 * The model's reasoning: shown as it streams, then folded away under how
 * long it took (a click opens it). Plain text: it is never rendered as
 * markup.
 */
function ThinkingEntry(props: { entry: IChatEntry }): JSX.Element | null {
  const { entry } = props;
  const [open, setOpen] = useState(false);
  const text = (entry.text ?? '').trim();
  const live = entry.streaming === true;
  if (!live && !text) {
    return null;
  }
  const expanded = live || open;
  return (
    <Entry entry={entry} className={live ? 'jp-mod-streaming' : ''}>
      <button
        type="button"
        className="jp-CodeAct-thinkingToggle"
        aria-expanded={expanded}
        disabled={live}
        onClick={() => setOpen(!open)}
      >
        {live ? 'Thinking…' : thinkingLabel(entry.duration_ms)}
      </button>
      {expanded && (
        <div className="jp-CodeAct-thinkingText" aria-label="Reasoning">
          <div>{text}</div>
        </div>
      )}
    </Entry>
  );
}

function FinalEntry(props: {
  entry: IChatEntry;
  context: IEntryContext;
}): JSX.Element {
  const { entry, context } = props;
  const [inserted, setInserted] = useState<boolean | null>(null);
  const text = entry.text ?? '';
  return (
    <Entry entry={entry}>
      <Markdown rendermime={context.rendermime} source={text} />
      <div className="jp-CodeAct-finalActions">
        <button
          type="button"
          className="jp-CodeAct-cellLink"
          title="Add this answer to the notebook as a markdown cell below the agent's cells"
          disabled={inserted === true}
          onClick={() => {
            void context.insertAnswer(text).then(setInserted);
          }}
        >
          {inserted ? 'Inserted in the notebook' : 'Insert answer in notebook'}
        </button>
        {inserted === false && (
          <span className="jp-CodeAct-stepNote">
            The notebook could not be opened.
          </span>
        )}
      </div>
    </Entry>
  );
}

/**
 * Keeps one entry that fails to render from taking the whole chat down.
 */
class EntryBoundary extends React.Component<
  { entry: IChatEntry; children: React.ReactNode },
  { failed: boolean }
> {
  state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  componentDidCatch(error: unknown): void {
    console.error('CodeAct: an entry could not be shown', error);
  }

  render(): React.ReactNode {
    if (this.state.failed) {
      return (
        <Entry entry={this.props.entry}>
          <div className="jp-CodeAct-errorText">
            This entry could not be shown (see the browser console).
          </div>
        </Entry>
      );
    }
    return this.props.children;
  }
}

export interface IEntryViewProps {
  entry: IChatEntry;
  /** For an action, its observation. */
  observation?: IChatEntry;
  /** For an observation, its action. */
  action?: IChatEntry;
  /** A later fix replaced this step's cell: shown folded. */
  superseded?: boolean;
  /** For an action, the earlier cell of the agent's it rewrites. */
  target?: { cellId: string | null; executionCount: number | null };
  /** Several people asked in this chat: each request shows who asked. */
  authors?: boolean;
  context: IEntryContext;
  /** Changes when the approvals change, so actions re-render. */
  approvalsVersion: number;
}

/** Props equal for rendering: `target` by value (it is rebuilt per change). */
function sameProps(a: IEntryViewProps, b: IEntryViewProps): boolean {
  return (
    a.entry === b.entry &&
    a.observation === b.observation &&
    a.action === b.action &&
    a.superseded === b.superseded &&
    a.authors === b.authors &&
    a.context === b.context &&
    a.approvalsVersion === b.approvalsVersion &&
    a.target?.cellId === b.target?.cellId &&
    a.target?.executionCount === b.target?.executionCount
  );
}

/**
 * One entry, by role, protected by an error boundary. Memoised on the
 * entry object: the reducer makes a new object only for entries that
 * changed.
 */
export const EntryView = React.memo(function EntryView(
  props: IEntryViewProps
): JSX.Element {
  return (
    <EntryBoundary entry={props.entry}>
      <EntryContent {...props} />
    </EntryBoundary>
  );
}, sameProps);

function EntryContent(props: IEntryViewProps): JSX.Element | null {
  const { entry, context } = props;
  switch (entry.role) {
    case 'user':
      return (
        <Entry entry={entry}>
          {props.authors && entry.author ? (
            <div className="jp-CodeAct-author" title={entry.author.username}>
              {entry.author.display_name || entry.author.username}
            </div>
          ) : null}
          <UserText text={entry.text ?? ''} languages={context.languages} />
          {entry.queued ? (
            <div className="jp-CodeAct-queued" role="note">
              Waits for the request before it to finish
            </div>
          ) : null}
          {entry.changes?.length ? (
            <TurnChanges entry={entry} context={context} />
          ) : null}
        </Entry>
      );
    case 'assistant':
      return <AssistantEntry entry={entry} context={context} />;
    case 'thinking':
      return <ThinkingEntry entry={entry} />;
    case 'action':
      return (
        <ActionEntry
          entry={entry}
          observation={props.observation}
          superseded={!!props.superseded}
          target={props.target}
          context={context}
        />
      );
    case 'observation':
      return (
        <ObservationEntry
          entry={entry}
          action={props.action}
          superseded={!!props.superseded}
          context={context}
        />
      );
    case 'final':
      return <FinalEntry entry={entry} context={context} />;
    case 'error':
      // A Stop the user asked for is no error: said plainly, not alarmed.
      return entry.kind === 'stopped' ? (
        <Entry entry={entry} className="jp-mod-stopped">
          <div className="jp-CodeAct-errorText" role="note">
            {entry.text}
          </div>
        </Entry>
      ) : (
        <Entry entry={entry}>
          <div className="jp-CodeAct-errorText" role="alert">
            {entry.text}
          </div>
        </Entry>
      );
    case 'condensed':
      return (
        <Entry entry={entry}>
          <div className="jp-CodeAct-condensedText" role="note">
            {entry.text}
          </div>
        </Entry>
      );
    default:
      return null;
  }
}

export type { IEntryContext } from './entry';
