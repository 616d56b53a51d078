/**
 * The answers to `execute` requests: what ran and how it ended, or why
 * nothing ran.
 */
import { CodeCell } from '@jupyterlab/cells';

import { boundOutputs, executionStatus, IExecutionEnd } from '../outputs';
import { IExecuteMessage, IExecuteResultMessage, Placement } from '../wire';
import { errorOutput } from './run';

/**
 * The result of running `cell`: its outputs (bounded), its count, where
 * the code went and what the model must be told beyond the outputs.
 */
export function collected(
  request: IExecuteMessage,
  cell: CodeCell,
  end: IExecutionEnd,
  details: { code: string; placement?: Placement; note?: string }
): IExecuteResultMessage {
  const outputs = cell.isDisposed ? [] : cell.model.outputs.toJSON();
  return {
    type: 'execute_result',
    request_id: request.request_id,
    status: executionStatus(end, outputs),
    outputs: boundOutputs(outputs),
    code: details.code,
    execution_count: cell.isDisposed ? null : cell.model.executionCount,
    cell_id: cell.model.id,
    placement: details.placement ?? '',
    note: details.note ?? ''
  };
}

/** Nothing ran: the user said no (`note` says more, if anything). */
export function skipped(
  request: IExecuteMessage,
  note = ''
): IExecuteResultMessage {
  return {
    type: 'execute_result',
    request_id: request.request_id,
    status: 'skipped',
    outputs: [],
    code: request.code,
    execution_count: null,
    cell_id: null,
    note
  };
}

/** Nothing ran: the cell the action named may not be changed (`note`: why). */
export function refused(
  request: IExecuteMessage,
  note: string
): IExecuteResultMessage {
  return { ...skipped(request, note), status: 'refused' };
}

/** The executor itself could not run the code. */
export function failure(
  request: IExecuteMessage,
  message: string,
  status: 'error' | 'died',
  code = request.code
): IExecuteResultMessage {
  return {
    type: 'execute_result',
    request_id: request.request_id,
    status,
    outputs: [errorOutput('ExecutorError', message)],
    code,
    execution_count: null,
    cell_id: null
  };
}
