/**
 * The chat history of the notebook: its chats by title and date, newest
 * first, to reopen, rename, export (Markdown) or delete (after asking).
 */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import {
  closeIcon,
  deleteIcon,
  downloadIcon,
  editIcon
} from '@jupyterlab/ui-components';
import React, { useEffect } from 'react';

import type { ChatManager } from '../manager';
import type { IChatInfo } from '../wire';
import { chatMarkdown, exportFileName } from './export';

/** "Today 14:05", "Yesterday 09:12", else "3 Mar 2025, 16:40". */
export function chatDate(seconds: number, now = new Date()): string {
  const date = new Date(seconds * 1000);
  const time = date.toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit'
  });
  const day = (d: Date): number =>
    new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(now) - day(date)) / 86_400_000);
  if (days === 0) {
    return `Today ${time}`;
  }
  if (days === 1) {
    return `Yesterday ${time}`;
  }
  const when = date.toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric'
  });
  return `${when}, ${time}`;
}

/** Save `text` as a file through the browser's download. */
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/markdown' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function exportChat(
  manager: ChatManager,
  chat: IChatInfo
): Promise<void> {
  const detail = await manager.history.detail(chat.id);
  download(
    exportFileName(detail.chat),
    chatMarkdown(detail.chat, detail.entries)
  );
}

async function renameChat(
  manager: ChatManager,
  chat: IChatInfo
): Promise<void> {
  const result = await InputDialog.getText({
    title: 'Rename chat',
    text: chat.title,
    okLabel: 'Rename'
  });
  const title = result.value?.trim();
  if (result.button.accept && title && title !== chat.title) {
    await manager.history.rename(chat.id, title);
  }
}

async function deleteChat(
  manager: ChatManager,
  chat: IChatInfo
): Promise<void> {
  const result = await showDialog({
    title: 'Delete this chat?',
    body: `“${chat.title}” and all its steps will be deleted. The cells it wrote stay in the notebook.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  if (result.button.accept) {
    await manager.history.remove(chat.id);
  }
}

export function HistoryList(props: {
  manager: ChatManager;
  notebookName: string;
  onClose: () => void;
  onProblem: (problem: string) => void;
}): JSX.Element {
  const { manager, onClose } = props;
  const chats = manager.history.chats(manager.view.notebook);
  const current = manager.current?.chat?.id;
  useEffect(() => {
    // What changed since the list was read (titles, last activity).
    manager.history
      .refresh()
      .catch(error => props.onProblem(String(error.message ?? error)));
  }, [manager]);
  const act = (action: Promise<void>): void => {
    action.catch(error => props.onProblem(String(error.message ?? error)));
  };
  return (
    <div
      className="jp-CodeAct-history"
      role="region"
      aria-label="Chat history"
      onKeyDown={event => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="jp-CodeAct-historyHeader">
        <span>Chats of {props.notebookName}</span>
        <button
          type="button"
          className="jp-CodeAct-iconButton"
          aria-label="Close the chat history"
          title="Close (Escape)"
          onClick={onClose}
        >
          <closeIcon.react tag="span" />
        </button>
      </div>
      {chats.length ? (
        <ul className="jp-CodeAct-historyList">
          {chats.map(chat => (
            <li
              key={chat.id}
              className={chat.id === current ? 'jp-mod-current' : ''}
            >
              <button
                type="button"
                className="jp-CodeAct-historyOpen"
                aria-current={chat.id === current ? 'true' : undefined}
                aria-label={`Open chat “${chat.title}”, ${chatDate(chat.updated)}`}
                onClick={() => {
                  manager.history.open(chat.id);
                  onClose();
                }}
              >
                <span className="jp-CodeAct-historyTitle">{chat.title}</span>
                <span className="jp-CodeAct-historyDate">
                  {chatDate(chat.updated)}
                </span>
              </button>
              <button
                type="button"
                className="jp-CodeAct-iconButton"
                aria-label={`Rename chat “${chat.title}”`}
                title="Rename"
                onClick={() => act(renameChat(manager, chat))}
              >
                <editIcon.react tag="span" />
              </button>
              <button
                type="button"
                className="jp-CodeAct-iconButton"
                aria-label={`Export chat “${chat.title}” as Markdown`}
                title="Export as Markdown"
                onClick={() => act(exportChat(manager, chat))}
              >
                <downloadIcon.react tag="span" />
              </button>
              <button
                type="button"
                className="jp-CodeAct-iconButton"
                aria-label={`Delete chat “${chat.title}”`}
                title="Delete"
                onClick={() => act(deleteChat(manager, chat))}
              >
                <deleteIcon.react tag="span" />
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <div className="jp-CodeAct-empty">No chat of this notebook yet.</div>
      )}
    </div>
  );
}
