/**
 * What a step produced, as the chat shows it: the last lines of its text,
 * a thumbnail of its plot (a click goes to the cell), its DataFrames as
 * compact tables. The server bounded all of it (server/entry_outputs.py).
 */
import type * as nbformat from '@jupyterlab/nbformat';
import React from 'react';

import { shortOutput } from '../outputs';
import { ITableData, TABLE_MIME } from '../wire';

const IMAGE_MIMES = ['image/png', 'image/jpeg', 'image/gif'];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type Bundle = Record<string, unknown>;

function bundleOf(output: nbformat.IOutput): Bundle | null {
  return output.output_type === 'execute_result' ||
    output.output_type === 'display_data'
    ? ((output.data ?? {}) as Bundle)
    : null;
}

/** The image of a bundle as a data URL (only base64 of a known type). */
export function imageUrl(bundle: Bundle): string | null {
  for (const mime of IMAGE_MIMES) {
    const data = bundle[mime];
    const text = Array.isArray(data) ? data.join('') : data;
    if (typeof text === 'string' && BASE64.test(text.replace(/\n/g, ''))) {
      return `data:${mime};base64,${text.replace(/\n/g, '')}`;
    }
  }
  return null;
}

function isTable(value: unknown): value is ITableData {
  const table = value as ITableData;
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray(table.head) &&
    Array.isArray(table.body) &&
    [...table.head, ...table.body].every(
      row => Array.isArray(row) && row.every(cell => typeof cell === 'string')
    )
  );
}

/** The outputs split into what shows as text, images and tables. */
export function splitOutputs(outputs: readonly nbformat.IOutput[]): {
  text: nbformat.IOutput[];
  images: string[];
  tables: ITableData[];
} {
  const text: nbformat.IOutput[] = [];
  const images: string[] = [];
  const tables: ITableData[] = [];
  for (const output of outputs) {
    const bundle = bundleOf(output);
    const image = bundle ? imageUrl(bundle) : null;
    const table = bundle?.[TABLE_MIME];
    if (image) {
      images.push(image);
    } else if (isTable(table)) {
      tables.push(table);
    } else {
      text.push(output);
    }
  }
  return { text, images, tables };
}

export function DataTable(props: { table: ITableData }): JSX.Element {
  const { table } = props;
  const index = table.index_columns ?? 0;
  return (
    <div className="jp-CodeAct-table" role="region" aria-label="Table">
      <table>
        <thead>
          {table.head.map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => (
                <th key={c}>{cell}</th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.body.map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) =>
                c < index ? <th key={c}>{cell}</th> : <td key={c}>{cell}</td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {table.note && <div className="jp-CodeAct-tableNote">{table.note}</div>}
    </div>
  );
}

export function StepOutputs(props: {
  outputs: readonly nbformat.IOutput[];
  /** How to name the cell on the thumbnail's button ("[3]"). */
  cellName: string | null;
  /** Go to the cell (null: it cannot be found). */
  reveal: (() => void) | null;
}): JSX.Element | null {
  const { text, images, tables } = splitOutputs(props.outputs);
  const summary = shortOutput(text);
  if (!summary && !images.length && !tables.length) {
    return null;
  }
  const where = props.cellName ? `cell ${props.cellName}` : 'its cell';
  return (
    <>
      {summary && <pre className="jp-CodeAct-output">{summary}</pre>}
      {tables.map((table, index) => (
        <DataTable key={index} table={table} />
      ))}
      {images.map((url, index) => (
        <button
          key={index}
          type="button"
          className="jp-CodeAct-thumbnail"
          aria-label={`Plot: go to ${where}`}
          title={`Go to ${where}`}
          disabled={!props.reveal}
          onClick={() => props.reveal?.()}
        >
          <img src={url} alt={`Plot of ${where}`} />
        </button>
      ))}
    </>
  );
}
