import type * as nbformat from '@jupyterlab/nbformat';

import {
  boundOutputs,
  executionStatus,
  findError,
  outputText,
  shortOutput,
  stripAnsi
} from '../outputs';

const stdout = (text: string | string[]): nbformat.IStream => ({
  output_type: 'stream',
  name: 'stdout',
  text
});
const result = (plain: string, count = 3): nbformat.IExecuteResult => ({
  output_type: 'execute_result',
  execution_count: count,
  data: { 'text/plain': plain },
  metadata: {}
});
const error = (ename: string, evalue: string): nbformat.IError => ({
  output_type: 'error',
  ename,
  evalue,
  traceback: [
    '\u001b[0;31m---------------------------------------------------------\u001b[0m',
    `\u001b[0;31m${ename}\u001b[0m: ${evalue}`
  ]
});

describe('outputText', () => {
  it('joins multiline strings and collapses carriage returns', () => {
    expect(outputText(stdout(['a\n', 'b\n']))).toBe('a\nb\n');
    expect(outputText(stdout('10%\r50%\r100%\ndone'))).toBe('100%\ndone');
  });

  it('prefers the text form of a MIME bundle, else names what was shown', () => {
    expect(outputText(result('42'))).toBe('42');
    expect(
      outputText({
        output_type: 'display_data',
        data: { 'image/png': 'iVBOR', 'text/html': '<b>x</b>' },
        metadata: {}
      })
    ).toBe('[image/png, text/html displayed]');
  });

  it('gives an error as its traceback without colour codes', () => {
    const text = outputText(error('NameError', "name 'y' is not defined"));
    expect(text).not.toContain('\u001b');
    expect(text.endsWith("NameError: name 'y' is not defined")).toBe(true);
    expect(
      outputText({
        output_type: 'error',
        ename: 'E',
        evalue: 'v',
        traceback: []
      })
    ).toBe('E: v');
  });

  it('strips ANSI codes', () => {
    expect(stripAnsi('\u001b[1;32mok\u001b[0m')).toBe('ok');
  });
});

describe('shortOutput', () => {
  it('keeps the last lines and says it cut', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const short = shortOutput([stdout(lines)], { maxLines: 3 });
    expect(short).toBe('…\nline 17\nline 18\nline 19');
  });

  it('shows an error by its name and value, not its traceback', () => {
    const short = shortOutput([stdout('loading\n'), error('KeyError', "'k'")]);
    expect(short).toBe("loading\nKeyError: 'k'");
  });

  it('bounds the characters', () => {
    const short = shortOutput([stdout('x'.repeat(1000))], { maxChars: 10 });
    expect(short).toBe(`…\n${'x'.repeat(10)}`);
  });

  it('is empty when nothing was printed', () => {
    expect(shortOutput([])).toBe('');
  });
});

describe('executionStatus', () => {
  it('is ok or error from the reply and the outputs', () => {
    expect(executionStatus({ replyStatus: 'ok' }, [stdout('1')])).toBe('ok');
    expect(
      executionStatus({ replyStatus: 'error' }, [error('ValueError', 'x')])
    ).toBe('error');
    // A kernel that sends no reply status still reports its error output.
    expect(executionStatus({}, [error('ValueError', 'x')])).toBe('error');
  });

  it("lets the executor's knowledge win", () => {
    const interrupt = [error('KeyboardInterrupt', '')];
    expect(
      executionStatus({ replyStatus: 'error', timedOut: true }, interrupt)
    ).toBe('timeout');
    expect(
      executionStatus({ replyStatus: 'error', interrupted: true }, interrupt)
    ).toBe('interrupted');
    expect(executionStatus({ died: true, timedOut: true }, [])).toBe('died');
    expect(executionStatus({ replyStatus: 'aborted' }, [])).toBe('interrupted');
  });

  it('reads an unrequested KeyboardInterrupt as an interrupt', () => {
    expect(
      executionStatus({ replyStatus: 'error' }, [
        error('KeyboardInterrupt', '')
      ])
    ).toBe('interrupted');
  });
});

describe('findError', () => {
  it('finds the error output', () => {
    const failure = error('ZeroDivisionError', 'division by zero');
    expect(findError([stdout('a'), failure])).toBe(failure);
    expect(findError([stdout('a')])).toBeNull();
  });
});

describe('boundOutputs', () => {
  const limits = { maxTextChars: 20, maxImageChars: 8, maxTotalChars: 1000 };

  it('keeps small outputs as they are', () => {
    const outputs = [stdout('small'), result('42'), error('E', 'v')];
    expect(boundOutputs(outputs, limits)).toEqual(outputs);
  });

  it('keeps the head and tail of long texts', () => {
    const [bounded] = boundOutputs(
      [stdout('HEAD' + 'x'.repeat(100) + 'TAIL')],
      limits
    );
    const text = (bounded as nbformat.IStream).text as string;
    expect(text.startsWith('HEAD')).toBe(true);
    expect(text.endsWith('TAIL')).toBe(true);
    expect(text).toContain('characters cut');
  });

  it('replaces oversized images by a note and keeps small ones', () => {
    const [big, small] = boundOutputs(
      [
        {
          output_type: 'display_data',
          data: { 'image/png': 'A'.repeat(50), 'text/plain': '<Figure>' },
          metadata: {}
        },
        {
          output_type: 'display_data',
          data: { 'image/png': 'AAAA' },
          metadata: {}
        }
      ],
      limits
    );
    expect((big as nbformat.IDisplayData).data).toEqual({
      'text/plain': '<Figure>\n[image/png too large to send]'
    });
    expect((small as nbformat.IDisplayData).data).toEqual({
      'image/png': 'AAAA'
    });
  });

  it('drops the outputs past the total limit, with a note', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      stdout(`line ${String(i).padStart(2, '0')}`)
    );
    const bounded = boundOutputs(many, limits);
    const size = JSON.stringify(stdout('line 10')).length;
    const kept = Math.floor(1000 / size);
    expect(bounded.slice(0, kept)).toEqual(many.slice(0, kept));
    expect(bounded).toHaveLength(kept + 1);
    expect((bounded[kept] as nbformat.IStream).text).toBe(
      `[${30 - kept} more output(s) not sent: the outputs exceed 1,000 characters in all]`
    );
  });

  it('keeps JSON data as objects', () => {
    const json: nbformat.IDisplayData = {
      output_type: 'display_data',
      data: { 'application/json': { a: 1 } },
      metadata: {}
    };
    expect(boundOutputs([json], limits)).toEqual([json]);
  });
});
