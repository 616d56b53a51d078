/**
 * Pure helpers on nbformat outputs: what an execution's outputs say (its
 * status, its text), and bounding them before they go to the server.
 */
import type * as nbformat from '@jupyterlab/nbformat';

import type { ExecutionStatus } from './wire';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

/**
 * Remove terminal colour codes (IPython tracebacks are full of them).
 */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function joined(value: nbformat.MultilineString | unknown): string {
  if (Array.isArray(value)) {
    return value.join('');
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Keep what a terminal shows of lines rewritten with `\r` (progress bars).
 */
function collapseCarriageReturns(text: string): string {
  if (!text.includes('\r')) {
    return text;
  }
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map(line => line.slice(line.lastIndexOf('\r') + 1))
    .join('\n');
}

/**
 * One output as plain text: stream text, the text form of a MIME bundle
 * (or a note of what was displayed), or an error's traceback.
 */
export function outputText(output: nbformat.IOutput): string {
  switch (output.output_type) {
    case 'stream':
      return collapseCarriageReturns(stripAnsi(joined(output.text)));
    case 'execute_result':
    case 'display_data': {
      const data = (output.data ?? {}) as nbformat.IMimeBundle;
      for (const mime of ['text/plain', 'text/markdown', 'text/latex']) {
        if (mime in data) {
          return stripAnsi(joined(data[mime]));
        }
      }
      const kinds = Object.keys(data).sort().join(', ') || 'nothing';
      return `[${kinds} displayed]`;
    }
    case 'error': {
      const traceback = ((output.traceback as string[]) ?? [])
        .map(stripAnsi)
        .join('\n')
        .trimEnd();
      const summary = `${output.ename}: ${output.evalue}`;
      return traceback.endsWith(summary) || !traceback
        ? traceback || summary
        : `${traceback}\n${summary}`;
    }
    default:
      return '';
  }
}

/**
 * A short text of the outputs for the chat's action step: the last lines
 * (errors and results come last), at most `maxLines` lines and `maxChars`
 * characters, with the name and value of an error instead of its
 * traceback.
 */
export function shortOutput(
  outputs: readonly nbformat.IOutput[],
  options: { maxLines?: number; maxChars?: number } = {}
): string {
  const maxLines = options.maxLines ?? 8;
  const maxChars = options.maxChars ?? 600;
  const parts = outputs.map(output =>
    output.output_type === 'error'
      ? `${output.ename}: ${output.evalue}`
      : outputText(output)
  );
  let text = parts
    .map(part => part.replace(/\n+$/, ''))
    .filter(part => part.length > 0)
    .join('\n');
  let lines = text.split('\n');
  let cut = false;
  if (lines.length > maxLines) {
    lines = lines.slice(-maxLines);
    cut = true;
  }
  text = lines.join('\n');
  if (text.length > maxChars) {
    text = text.slice(-maxChars);
    cut = true;
  }
  return cut ? `…\n${text}` : text;
}

/**
 * The error output of a cell's outputs, if any.
 */
export function findError(
  outputs: readonly nbformat.IOutput[]
): nbformat.IError | null {
  const error = outputs.find(output => output.output_type === 'error');
  return (error as nbformat.IError | undefined) ?? null;
}

/**
 * What ended an execution, as the executor observed it.
 */
export interface IExecutionEnd {
  /** The kernel's reply status, when a reply came. */
  replyStatus?: 'ok' | 'error' | 'aborted' | 'abort' | null;
  /** The executor interrupted the kernel because the timeout passed. */
  timedOut?: boolean;
  /** The server asked to interrupt (the user pressed Stop). */
  interrupted?: boolean;
  /** The kernel died or restarted during the execution. */
  died?: boolean;
}

/**
 * The status to report for an execution. The executor's own knowledge
 * (death, timeout, interrupt) wins over what the outputs say; a
 * `KeyboardInterrupt` nobody asked for is still an interrupt.
 */
export function executionStatus(
  end: IExecutionEnd,
  outputs: readonly nbformat.IOutput[]
): ExecutionStatus {
  if (end.died) {
    return 'died';
  }
  if (end.timedOut) {
    return 'timeout';
  }
  if (
    end.interrupted ||
    end.replyStatus === 'aborted' ||
    end.replyStatus === 'abort'
  ) {
    return 'interrupted';
  }
  const error = findError(outputs);
  if (error && error.ename === 'KeyboardInterrupt') {
    return 'interrupted';
  }
  if (end.replyStatus === 'error' || error) {
    return 'error';
  }
  return 'ok';
}

/**
 * Limits applied to outputs before they are sent to the server.
 */
export interface IOutputLimits {
  /** Characters kept of one text (head and tail). */
  maxTextChars: number;
  /** Characters of base64 data kept per image; larger images are dropped. */
  maxImageChars: number;
  /**
   * Characters of all the outputs together (their JSON); the outputs past
   * it are dropped with a note. It keeps the result under the server's
   * 16 MB message limit.
   */
  maxTotalChars: number;
}

export const DEFAULT_OUTPUT_LIMITS: IOutputLimits = {
  maxTextChars: 100_000,
  maxImageChars: 2_000_000,
  maxTotalChars: 8_000_000
};

function truncateMiddle(text: string, limit: number): string {
  if (text.length <= limit) {
    return text;
  }
  const head = Math.floor((limit * 2) / 5);
  const tail = limit - head;
  const cut = text.length - head - tail;
  return `${text.slice(0, head)}\n... [${cut} characters cut] ...\n${text.slice(-tail)}`;
}

const IMAGE = /^image\//;

/**
 * Copies of `outputs` bounded to `limits`: long texts keep their head and
 * tail, oversized images are replaced by a note in `text/plain`. The
 * server bounds them again for the model; this keeps a huge output from
 * filling the websocket.
 */
export function boundOutputs(
  outputs: readonly nbformat.IOutput[],
  limits: IOutputLimits = DEFAULT_OUTPUT_LIMITS
): nbformat.IOutput[] {
  const bounded: nbformat.IOutput[] = [];
  let total = 0;
  for (const [index, output] of boundEach(outputs, limits).entries()) {
    total += JSON.stringify(output).length;
    if (total > limits.maxTotalChars) {
      const dropped = outputs.length - index;
      bounded.push({
        output_type: 'stream',
        name: 'stdout',
        text: `[${dropped} more output(s) not sent: the outputs exceed ${limits.maxTotalChars.toLocaleString('en-US')} characters in all]`
      });
      break;
    }
    bounded.push(output);
  }
  return bounded;
}

function boundEach(
  outputs: readonly nbformat.IOutput[],
  limits: IOutputLimits
): nbformat.IOutput[] {
  return outputs.map(output => {
    if (output.output_type === 'stream') {
      const text = joined(output.text);
      return text.length > limits.maxTextChars
        ? { ...output, text: truncateMiddle(text, limits.maxTextChars) }
        : output;
    }
    if (
      output.output_type === 'execute_result' ||
      output.output_type === 'display_data'
    ) {
      const data: nbformat.IMimeBundle = {};
      const dropped: string[] = [];
      for (const [mime, value] of Object.entries(
        (output.data ?? {}) as nbformat.IMimeBundle
      )) {
        const text = joined(value);
        if (IMAGE.test(mime) && text.length > limits.maxImageChars) {
          dropped.push(mime);
        } else if (typeof value === 'string' || Array.isArray(value)) {
          data[mime] = truncateMiddle(text, limits.maxTextChars);
        } else {
          data[mime] = value;
        }
      }
      if (dropped.length) {
        const note = `[${dropped.join(', ')} too large to send]`;
        data['text/plain'] = data['text/plain']
          ? `${joined(data['text/plain'])}\n${note}`
          : note;
      }
      return { ...output, data };
    }
    return output;
  });
}
