/**
 * The views of chat entries, one per role. Each rendered entry carries
 * `data-codeact-role` (the tests and the styles rely on it).
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import React, { useState } from 'react';

import { shortOutput } from '../outputs';
import type { ApprovalDecision, IPendingApproval } from '../executor';
import { ExecutionStatus, IChatEntry } from '../wire';
import { Markdown } from './markdown';
import { prose, settledMarkdown, streamingView } from './text';

/**
 * What the entry views need from their surroundings.
 */
export interface IEntryContext {
  rendermime: IRenderMimeRegistry;
  /** Select and show the cell an action wrote. */
  reveal: (cellId: string) => void;
  /** The approval waiting for an action's request id, if any. */
  approval: (requestId: string) => IPendingApproval | undefined;
  decide: (requestId: string, decision: ApprovalDecision) => void;
}

const STATUS_LABELS: Record<ExecutionStatus, string> = {
  ok: 'Ran',
  error: 'Error',
  timeout: 'Timed out',
  interrupted: 'Interrupted',
  died: 'Kernel died',
  skipped: 'Skipped'
};

const PHASE_LABELS: Record<string, string> = {
  pending: 'Queued',
  running: 'Running…',
  waiting_approval: 'Waiting for approval',
  finished: 'Finished'
};

function Entry(props: {
  entry: IChatEntry;
  className?: string;
  children: React.ReactNode;
}): JSX.Element {
  const { entry } = props;
  return (
    <div
      className={`jp-CodeAct-entry jp-CodeAct-entry-${entry.role} ${props.className ?? ''}`.trim()}
      data-codeact-role={entry.role}
      data-codeact-id={entry.id}
    >
      {props.children}
    </div>
  );
}

function CellLink(props: {
  cellId: string | null | undefined;
  context: IEntryContext;
}): JSX.Element | null {
  const { cellId, context } = props;
  if (!cellId) {
    return null;
  }
  return (
    <button
      type="button"
      className="jp-CodeAct-cellLink"
      title="Select this cell in the notebook"
      onClick={() => context.reveal(cellId)}
    >
      Go to cell
    </button>
  );
}

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
  const { settled, tail } = settledMarkdown(view.prose);
  return (
    <Entry entry={entry} className="jp-mod-streaming">
      {settled && <Markdown rendermime={context.rendermime} source={settled} />}
      {tail && <div className="jp-CodeAct-streamTail">{tail}</div>}
      {view.code !== null && (
        <pre
          className="jp-CodeAct-code jp-mod-draft"
          aria-label="Code being written"
        >
          {view.code}
        </pre>
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

function Approval(props: {
  approval: IPendingApproval;
  context: IEntryContext;
}): JSX.Element {
  const { approval, context } = props;
  const [editing, setEditing] = useState(false);
  const [code, setCode] = useState(approval.code);
  const id = approval.requestId;
  return (
    <div className="jp-CodeAct-approval">
      {editing ? (
        <textarea
          className="jp-CodeAct-codeEditor"
          aria-label="Code to run"
          value={code}
          rows={Math.min(16, code.split('\n').length + 1)}
          onChange={event => setCode(event.target.value)}
          autoFocus
        />
      ) : (
        <pre className="jp-CodeAct-code">{code}</pre>
      )}
      <div className="jp-CodeAct-approvalButtons">
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          onClick={() => context.decide(id, { run: true, code })}
        >
          Run
        </button>
        {!editing && (
          <button
            type="button"
            className="jp-mod-styled"
            onClick={() => setEditing(true)}
          >
            Edit
          </button>
        )}
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          onClick={() => context.decide(id, { run: false })}
        >
          Skip
        </button>
      </div>
    </div>
  );
}

function ActionEntry(props: {
  entry: IChatEntry;
  observation: IChatEntry | undefined;
  context: IEntryContext;
}): JSX.Element {
  const { entry, observation, context } = props;
  const approval = entry.request_id
    ? context.approval(entry.request_id)
    : undefined;
  const phase = approval ? 'waiting_approval' : (entry.phase ?? 'pending');
  const label = observation?.status
    ? STATUS_LABELS[observation.status]
    : (PHASE_LABELS[phase] ?? phase);
  return (
    <Entry entry={entry} className={`jp-mod-phase-${phase}`}>
      <div className="jp-CodeAct-stepHeader">
        <span className="jp-CodeAct-stepTitle">Cell</span>
        <span className="jp-CodeAct-stepStatus">{label}</span>
        <CellLink
          cellId={entry.cell_id ?? observation?.cell_id}
          context={context}
        />
      </div>
      {approval ? (
        <Approval
          key={approval.requestId}
          approval={approval}
          context={context}
        />
      ) : (
        <pre className="jp-CodeAct-code">{entry.code}</pre>
      )}
    </Entry>
  );
}

function ObservationEntry(props: { entry: IChatEntry }): JSX.Element {
  const { entry } = props;
  const status = entry.status ?? 'ok';
  const output = entry.outputs
    ? shortOutput(entry.outputs)
    : (entry.text ?? '').replace(/^Observation:\n?/, '');
  const details = [
    entry.execution_count ? `[${entry.execution_count}]` : '',
    entry.duration_ms !== undefined ? `${Math.round(entry.duration_ms)} ms` : ''
  ]
    .filter(part => part)
    .join(' · ');
  return (
    <Entry entry={entry} className={`jp-mod-status-${status}`}>
      <div className="jp-CodeAct-stepHeader">
        <span className="jp-CodeAct-stepStatus">{STATUS_LABELS[status]}</span>
        {details && <span className="jp-CodeAct-stepDetails">{details}</span>}
      </div>
      {output && <pre className="jp-CodeAct-output">{output}</pre>}
      {entry.note && <div className="jp-CodeAct-stepNote">{entry.note}</div>}
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

/**
 * One entry, by role, protected by an error boundary. Memoised on the
 * entry object: the reducer makes a new object only for entries that
 * changed.
 */
export const EntryView = React.memo(function EntryView(props: {
  entry: IChatEntry;
  observation?: IChatEntry;
  context: IEntryContext;
  /** Changes when the approvals change, so actions re-render. */
  approvalsVersion: number;
}): JSX.Element {
  return (
    <EntryBoundary entry={props.entry}>
      <EntryContent {...props} />
    </EntryBoundary>
  );
});

function EntryContent(props: {
  entry: IChatEntry;
  observation?: IChatEntry;
  context: IEntryContext;
  /** Changes when the approvals change, so actions re-render. */
  approvalsVersion: number;
}): JSX.Element | null {
  const { entry, context } = props;
  switch (entry.role) {
    case 'user':
      return (
        <Entry entry={entry}>
          <div className="jp-CodeAct-userText">{entry.text}</div>
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
          context={context}
        />
      );
    case 'observation':
      return <ObservationEntry entry={entry} />;
    case 'final':
      return (
        <Entry entry={entry}>
          <Markdown rendermime={context.rendermime} source={entry.text ?? ''} />
        </Entry>
      );
    case 'error':
      return (
        <Entry entry={entry}>
          <div className="jp-CodeAct-errorText" role="alert">
            {entry.text}
          </div>
        </Entry>
      );
    default:
      return null;
  }
}
