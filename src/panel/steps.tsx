/**
 * The views of an action and its observation: the code, its approval
 * (Run / Edit / Skip, or Accept / Reject of a change to the user's cell),
 * the outcome. An attempt that a later fix replaced stays in the chat,
 * collapsed, so nothing is hidden from the user. Cells are named as the
 * user sees them (cellref.ts).
 */
import React, { useState } from 'react';

import type { ApprovalDecision, IPendingApproval } from '../executor';
import { lineDiff } from '../notebook/diff';
import { IChatEntry } from '../wire';
import {
  cellName,
  ICellFacts,
  isUserCell,
  replacementNote,
  stepTitle
} from './cellref';
import { CodeBlock } from './codeblock';
import { CellLink, Entry, IEntryContext, STATUS_LABELS } from './entry';
import { StepOutputs } from './stepoutputs';

const PHASE_LABELS: Record<string, string> = {
  pending: 'Queued',
  running: 'Running…',
  waiting_approval: 'Waiting for you',
  finished: 'Finished'
};

/** Decide, then give the keyboard back to the message input. */
function decideAndFocus(
  context: IEntryContext,
  requestId: string,
  decision: ApprovalDecision
): void {
  context.decide(requestId, decision);
  context.focusInput();
}

function Approval(props: {
  approval: IPendingApproval;
  context: IEntryContext;
}): JSX.Element {
  const { approval, context } = props;
  const [editing, setEditing] = useState(false);
  const [code, setCode] = useState(approval.code);
  const id = approval.requestId;
  // It waits in the notebook: Edit is the cell's own editor, and Run runs
  // what the cell holds then (the server reads it).
  const inCell = !!approval.cellId;
  return (
    <div className="jp-CodeAct-approval">
      {inCell && (
        <div className="jp-CodeAct-stepNote">
          {approval.before !== undefined
            ? 'Proposed as a change of its cell in the notebook, shown there as a diff.'
            : 'Waiting in the notebook, where it will run; edit it there.'}
        </div>
      )}
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
        <CodeBlock
          code={code}
          languages={context.languages}
          label="Code waiting for your approval"
        />
      )}
      <div className="jp-CodeAct-approvalButtons">
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          onClick={() => decideAndFocus(context, id, { run: true, code })}
        >
          Run
        </button>
        {!editing && (
          <button
            type="button"
            className="jp-mod-styled"
            onClick={() => (inCell ? context.edit(id) : setEditing(true))}
          >
            Edit
          </button>
        )}
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          onClick={() => decideAndFocus(context, id, { run: false })}
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
          onClick={() =>
            decideAndFocus(context, id, { run: true, code: approval.code })
          }
        >
          Accept
        </button>
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          onClick={() => decideAndFocus(context, id, { run: false })}
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

/** What is known of the cell `cellId`: its count, else its place. */
function facts(
  context: IEntryContext,
  cellId: string | null | undefined,
  executionCount: number | null | undefined
): ICellFacts {
  return {
    executionCount,
    position: cellId ? context.position(cellId) : null
  };
}

/** The label of a finished step, in the user's words. */
function outcome(observation: IChatEntry, action?: IChatEntry): string {
  const status = observation.status ?? 'ok';
  if (status === 'skipped' && isUserCell(action?.replaces)) {
    return 'You rejected the change';
  }
  return STATUS_LABELS[status];
}

export function ActionEntry(props: {
  entry: IChatEntry;
  observation: IChatEntry | undefined;
  superseded: boolean;
  /** The cell the step rewrites (an earlier one of the agent's), if known. */
  target?: { cellId: string | null; executionCount: number | null };
  context: IEntryContext;
}): JSX.Element {
  const { entry, observation, context } = props;
  const approval = entry.request_id
    ? context.approval(entry.request_id)
    : undefined;
  const phase = approval ? 'waiting_approval' : (entry.phase ?? 'pending');
  const label = observation?.status
    ? outcome(observation, entry)
    : (PHASE_LABELS[phase] ?? phase);
  const cellId = entry.cell_id ?? observation?.cell_id ?? approval?.cellId;
  const userCell = isUserCell(entry.replaces);
  const replaced = entry.replaces && !userCell ? props.target : undefined;
  const target = replaced
    ? facts(context, replaced.cellId, replaced.executionCount)
    : null;
  const own = facts(context, cellId, observation?.execution_count);
  const title = stepTitle({
    cell: own,
    replaces: target,
    userCell,
    ran: !!observation
  });
  const replacing =
    entry.replaces && !userCell && observation?.status !== 'refused'
      ? replacementNote(entry.replaced, target)
      : '';
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
          <CellLink cellId={cellId} context={context} name={cellName(own)} />
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
          <CodeBlock
            code={entry.code ?? ''}
            languages={context.languages}
            label="The step's code"
          />
        )}
      </Attempt>
    </Entry>
  );
}

/** What a status means, said to the user ('' when the label says it all). */
function userNote(observation: IChatEntry, action?: IChatEntry): string {
  const status = observation.status ?? 'ok';
  if (status === 'skipped') {
    return isUserCell(action?.replaces)
      ? 'Your cell is as you left it.'
      : 'You chose not to run it; nothing ran.';
  }
  return status === 'refused' ? '' : (observation.note ?? '');
}

export function ObservationEntry(props: {
  entry: IChatEntry;
  action?: IChatEntry;
  superseded: boolean;
  context: IEntryContext;
}): JSX.Element {
  const { entry, action, context } = props;
  const status = entry.status ?? 'ok';
  const label = outcome(entry, action);
  const details = [
    entry.execution_count ? `[${entry.execution_count}]` : '',
    entry.duration_ms !== undefined ? `${Math.round(entry.duration_ms)} ms` : ''
  ]
    .filter(part => part)
    .join(' · ');
  const cellId = entry.cell_id ?? null;
  const name = cellName(facts(context, cellId, entry.execution_count));
  const note = userNote(entry, action);
  const className = `jp-mod-status-${status}${props.superseded ? ' jp-mod-superseded' : ''}`;
  return (
    <Entry entry={entry} className={className}>
      <Attempt
        superseded={props.superseded}
        summary={`${label} of the replaced attempt (details)`}
      >
        <div className="jp-CodeAct-stepHeader">
          <span className="jp-CodeAct-stepStatus">{label}</span>
          {details && <span className="jp-CodeAct-stepDetails">{details}</span>}
        </div>
        {entry.outputs && status !== 'refused' ? (
          <StepOutputs
            outputs={entry.outputs}
            cellName={name}
            reveal={cellId ? () => context.reveal(cellId) : null}
          />
        ) : (
          // A refusal has no outputs: what the model was told is the point.
          entry.text && (
            <pre className="jp-CodeAct-output">
              {entry.text.replace(/^Observation:\n?/, '')}
            </pre>
          )
        )}
        {note && <div className="jp-CodeAct-stepNote">{note}</div>}
      </Attempt>
    </Entry>
  );
}
