/**
 * The views of an action and its observation: the code, its approval
 * (Run / Edit / Skip, or Accept / Reject of a change to the user's cell),
 * the outcome. An attempt that a later fix replaced stays in the chat,
 * collapsed, so nothing is hidden from the user.
 */
import React, { useState } from 'react';

import type { IPendingApproval } from '../executor';
import { lineDiff } from '../notebook/diff';
import { shortOutput } from '../outputs';
import { IChatEntry } from '../wire';
import { CellLink, Entry, IEntryContext, STATUS_LABELS } from './entry';

const PHASE_LABELS: Record<string, string> = {
  pending: 'Queued',
  running: 'Running…',
  waiting_approval: 'Waiting for approval',
  finished: 'Finished'
};

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

/**
 * A change to the user's cell, as a diff, with Accept and Reject (the
 * same choice is offered in the cell itself).
 */
function ChangeApproval(props: {
  approval: IPendingApproval;
  context: IEntryContext;
}): JSX.Element {
  const { approval, context } = props;
  const id = approval.requestId;
  return (
    <div className="jp-CodeAct-approval">
      <div className="jp-CodeAct-stepNote">
        A change to your cell: accept it to run it there (Ctrl+Z in the cell
        brings your version back).
      </div>
      <pre className="jp-CodeAct-diff" aria-label="Proposed change">
        {lineDiff(approval.before ?? '', approval.code).map((line, index) => (
          <div
            key={index}
            className={`jp-CodeAct-diffLine jp-mod-${line.kind}`}
          >
            {line.kind === 'added' ? '+' : line.kind === 'removed' ? '-' : ' '}{' '}
            {line.text}
          </div>
        ))}
      </pre>
      <div className="jp-CodeAct-approvalButtons">
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          onClick={() => context.decide(id, { run: true, code: approval.code })}
        >
          Accept
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          onClick={() => context.decide(id, { run: false })}
        >
          Reject
        </button>
      </div>
    </div>
  );
}

/**
 * A step a later fix replaced: kept, folded under a one-line summary.
 */
function Attempt(props: {
  superseded: boolean;
  summary: string;
  children: React.ReactNode;
}): JSX.Element {
  if (!props.superseded) {
    return <>{props.children}</>;
  }
  return (
    <details className="jp-CodeAct-attempt">
      <summary>{props.summary}</summary>
      {props.children}
    </details>
  );
}

export function ActionEntry(props: {
  entry: IChatEntry;
  observation: IChatEntry | undefined;
  superseded: boolean;
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
  const title = entry.cell ? `Cell ${entry.cell}` : 'Cell';
  let replacing = '';
  if (entry.replaces && observation?.status !== 'refused') {
    replacing =
      entry.replaced === true
        ? 'replaced its earlier code'
        : entry.replaced === false
          ? `new cell: ${entry.replaces} could not be replaced`
          : `replaces ${entry.replaces}`;
  }
  const className = `jp-mod-phase-${phase}${props.superseded ? ' jp-mod-superseded' : ''}`;
  return (
    <Entry entry={entry} className={className}>
      <Attempt
        superseded={props.superseded}
        summary={`${title} · ${label} · replaced by a later fix`}
      >
        <div className="jp-CodeAct-stepHeader">
          <span className="jp-CodeAct-stepTitle">{title}</span>
          {replacing && (
            <span className="jp-CodeAct-stepReplaces">{replacing}</span>
          )}
          <span className="jp-CodeAct-stepStatus">{label}</span>
          <CellLink
            cellId={entry.cell_id ?? observation?.cell_id ?? approval?.cellId}
            context={context}
          />
        </div>
        {entry.keeps && entry.note && (
          <div className="jp-CodeAct-stepNote jp-CodeAct-stepKept">
            {entry.note}
          </div>
        )}
        {approval?.kind === 'change' ? (
          <ChangeApproval
            key={approval.requestId}
            approval={approval}
            context={context}
          />
        ) : approval ? (
          <Approval
            key={approval.requestId}
            approval={approval}
            context={context}
          />
        ) : (
          <pre className="jp-CodeAct-code">{entry.code}</pre>
        )}
      </Attempt>
    </Entry>
  );
}

export function ObservationEntry(props: {
  entry: IChatEntry;
  superseded: boolean;
}): JSX.Element {
  const { entry } = props;
  const status = entry.status ?? 'ok';
  // A refusal has no outputs: what the model was told is the point.
  const output =
    entry.outputs && status !== 'refused'
      ? shortOutput(entry.outputs)
      : (entry.text ?? '').replace(/^Observation:\n?/, '');
  const details = [
    entry.execution_count ? `[${entry.execution_count}]` : '',
    entry.duration_ms !== undefined ? `${Math.round(entry.duration_ms)} ms` : ''
  ]
    .filter(part => part)
    .join(' · ');
  const className = `jp-mod-status-${status}${props.superseded ? ' jp-mod-superseded' : ''}`;
  return (
    <Entry entry={entry} className={className}>
      <Attempt
        superseded={props.superseded}
        summary={`${STATUS_LABELS[status]} of the replaced attempt (details)`}
      >
        <div className="jp-CodeAct-stepHeader">
          <span className="jp-CodeAct-stepStatus">{STATUS_LABELS[status]}</span>
          {details && <span className="jp-CodeAct-stepDetails">{details}</span>}
        </div>
        {output && <pre className="jp-CodeAct-output">{output}</pre>}
        {entry.note && status !== 'refused' && (
          <div className="jp-CodeAct-stepNote">{entry.note}</div>
        )}
      </Attempt>
    </Entry>
  );
}
