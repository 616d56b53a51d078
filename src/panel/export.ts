/**
 * A chat as a Markdown file to keep or share: the requests, the agent's
 * words, each step's code and what it printed, the answers. Pure.
 */
import type * as nbformat from '@jupyterlab/nbformat';

import { repeatedAnswers } from '../model';
import { outputText } from '../outputs';
import { IChatEntry, IChatInfo } from '../wire';
import { splitOutputs } from './stepoutputs';

function fence(text: string, language = ''): string {
  const longest = Math.max(
    2,
    ...[...text.matchAll(/`+/g)].map(run => run[0].length)
  );
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${text.replace(/\n+$/, '')}\n${ticks}`;
}

function outputsMarkdown(outputs: readonly nbformat.IOutput[]): string[] {
  const { text, images, tables } = splitOutputs(outputs);
  const parts: string[] = [];
  const printed = text.map(outputText).filter(Boolean).join('\n').trim();
  if (printed) {
    parts.push(fence(printed));
  }
  for (const table of tables) {
    const rows = [...table.head, ...table.body];
    const width = Math.max(...rows.map(row => row.length));
    const line = (row: string[]): string =>
      `| ${Array.from({ length: width }, (_, i) => (row[i] ?? '').replace(/\|/g, '\\|')).join(' | ')} |`;
    parts.push(
      [
        line(table.head[0] ?? []),
        `|${' --- |'.repeat(width)}`,
        ...rows.slice(table.head.length ? 1 : 0).map(line)
      ].join('\n')
    );
  }
  images.forEach(url => parts.push(`![plot](${url})`));
  return parts;
}

/** A file name for the export of `chat`. */
export function exportFileName(chat: IChatInfo): string {
  const title = chat.title.replace(/[^\w .-]+/g, ' ').trim() || 'chat';
  return `${title.slice(0, 60).trim()}.md`;
}

/** `chat` and its `entries` as Markdown. */
export function chatMarkdown(
  chat: IChatInfo,
  entries: readonly IChatEntry[]
): string {
  const when = new Date(chat.created * 1000).toISOString().slice(0, 16);
  const parts = [
    `# ${chat.title}`,
    `*CodeAct chat of \`${chat.path}\`, started ${when.replace('T', ' ')} UTC.*`
  ];
  const repeated = repeatedAnswers(entries);
  for (const entry of entries) {
    if (repeated.has(entry.id)) {
      continue; // its answer follows
    }
    switch (entry.role) {
      case 'user':
        parts.push(`**You:**\n\n${entry.text ?? ''}`);
        break;
      case 'assistant':
        if (entry.prose?.trim()) {
          parts.push(entry.prose.trim());
        }
        break;
      case 'action':
        parts.push(fence(entry.code ?? '', 'python'));
        break;
      case 'observation': {
        const status = entry.status ?? 'ok';
        const outputs = outputsMarkdown(entry.outputs ?? []);
        if (status !== 'ok') {
          outputs.unshift(`*${status}*`);
        }
        parts.push(...outputs);
        break;
      }
      case 'final':
        parts.push(`**Answer:**\n\n${entry.text ?? ''}`);
        break;
      case 'error':
        parts.push(`> ${(entry.text ?? '').replace(/\n/g, '\n> ')}`);
        break;
      default:
        break;
    }
  }
  return parts.join('\n\n') + '\n';
}
