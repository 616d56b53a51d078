/**
 * What the ChatView tests share: a manager that holds a chat model, a
 * renderer, and a view mounted for each test.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Signal } from '@lumino/signaling';
import React, { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import type { ApprovalDecision, IPendingApproval } from '../executor';
import type { ChatManager } from '../manager';
import { ChatModel } from '../model';
import { ComposerModel } from '../panel/composer';
import { MIN_RENDER_INTERVAL_MS } from '../panel/hooks';
import { ChatView } from '../panel/view';
import { SettingsModel } from '../settings';
import { TrustModel } from '../trust';
import { IChatEntry, IPublicConfig } from '../wire';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
/** A renderer that shows the markdown source as text. */
export const rendermime = {
  latexTypesetter: null,
  createRenderer: () => {
    const node = document.createElement('div');
    return {
      node,
      isDisposed: false,
      dispose: () => undefined,
      renderModel: async (model: any) => {
        node.textContent = model.data['text/markdown'];
      }
    };
  }
} as unknown as IRenderMimeRegistry;

export const config: IPublicConfig = {
  model: 'scripted-model',
  base_url: 'http://127.0.0.1:9/v1',
  has_api_key: true,
  configured: true,
  max_turns: 15,
  cell_timeout: 300,
  approval_mode: 'auto',
  problem: null
};

export function fakeManager(
  model: ChatModel,
  overrides: Partial<IPublicConfig> = {}
) {
  const approvals = new Map<string, IPendingApproval>();
  const executor = {
    approvalsChanged: new Signal<unknown, void>({}),
    pendingApproval: (id: string) => approvals.get(id),
    decide: jest.fn((id: string, decision: ApprovalDecision) => {
      approvals.delete(id);
    }),
    reveal: jest.fn(async () => true),
    editPending: jest.fn(async () => undefined)
  };
  const manager = {
    executor,
    view: {
      notebook: { context: { path: 'work/sales.ipynb' } },
      session: { model },
      loading: false
    },
    config: { ...config, ...overrides },
    configError: null,
    changed: new Signal<unknown, void>({}),
    approvalMode: 'auto',
    trust: new TrustModel(),
    send: jest.fn(async () => undefined),
    stop: jest.fn(),
    newChat: jest.fn(async () => undefined),
    cellPosition: () => null,
    history: {
      changed: new Signal<unknown, void>({}),
      chats: () => [],
      refresh: async () => undefined
    },
    models: {
      list: {
        models: [{ id: 'scripted-model', reasoning_effort: false }],
        default: 'scripted-model',
        efforts: [],
        problem: null
      },
      error: null,
      model: 'scripted-model',
      unavailable: null,
      effort: '',
      ready: true,
      takesEffort: () => false
    }
  };
  return { manager, executor, approvals };
}

export const chat = {
  id: 'c1',
  path: 'work/sales.ipynb',
  title: 't',
  created: 1,
  updated: 1
};

export function withEntries(
  entries: IChatEntry[],
  state: any = 'done'
): ChatModel {
  const model = new ChatModel();
  model.apply({ type: 'snapshot', chat, entries, state });
  model.connection = 'open';
  return model;
}

/** Mounts a ChatView in the document for each test, and unmounts it after. */
export function chatViewHarness() {
  const view = {
    host: null as unknown as HTMLDivElement,
    root: null as unknown as Root,
    show: async (manager: unknown, composer = new ComposerModel()) => {
      await act(async () => {
        view.root.render(
          <ChatView
            manager={manager as ChatManager}
            rendermime={rendermime}
            composer={composer}
            settings={new SettingsModel()}
          />
        );
      });
      return composer;
    },
    button: (label: string) =>
      view.host.querySelector(
        `button[aria-label="${label}"]`
      ) as HTMLButtonElement,
    /** Past the interval that gathers changes close together into one render. */
    nextRender: () =>
      act(async () => {
        await jest.advanceTimersByTimeAsync(MIN_RENDER_INTERVAL_MS);
      })
  };
  beforeEach(() => {
    view.host = document.createElement('div');
    document.body.appendChild(view.host);
    view.root = createRoot(view.host);
  });
  afterEach(() => {
    act(() => view.root.unmount());
    view.host.remove();
    jest.useRealTimers();
  });
  return view;
}
