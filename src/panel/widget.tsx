/**
 * The sidebar widget of the chat.
 */
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon, ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import type { ChatManager } from '../manager';
import type { SettingsModel } from '../settings';
import { ComposerModel } from './composer';
import { ChatView } from './view';

/**
 * The CodeAct icon: a chat bubble around a code prompt; `jp-icon3` makes
 * it follow the theme.
 */
export const codeactIcon = new LabIcon({
  name: 'jupyter-codeact:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">' +
    '<path class="jp-icon3" fill="#616161" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm0 2v11h2v2l2.5-2H20V5H4z"/>' +
    '<path class="jp-icon3" fill="#616161" d="M7.3 8.2 8.7 6.8 12.4 10.5 8.7 14.2 7.3 12.8 9.6 10.5zM13 12.5h4v1.7h-4z"/>' +
    '</svg>'
});

export interface IChatPanelOptions {
  manager: ChatManager;
  rendermime: IRenderMimeRegistry;
  settings: SettingsModel;
  /** JupyterLab's CodeMirror languages, to highlight code in the chat. */
  languages?: IEditorLanguageRegistry | null;
  /** Show the README's section on setting up a model. */
  openSetup?: () => void;
}

export class ChatPanel extends ReactWidget {
  constructor(options: IChatPanelOptions) {
    super();
    this._options = options;
    this.id = 'jp-codeact-chat';
    this.addClass('jp-CodeAct-panel');
    this.title.icon = codeactIcon;
    this.title.caption = 'CodeAct: an agent that writes and runs cells';
  }

  /** The draft message (commands prefill it). */
  readonly composer = new ComposerModel();

  /**
   * Move the keyboard focus to the message input.
   */
  focusInput(): void {
    // The input exists once rendered; rendering follows the update request.
    this.update();
    requestAnimationFrame(() => this.composer.focus());
  }

  protected render(): JSX.Element {
    const { manager, rendermime, settings, languages, openSetup } =
      this._options;
    return (
      <ChatView
        manager={manager}
        rendermime={rendermime}
        composer={this.composer}
        settings={settings}
        languages={languages}
        openSetup={openSetup}
      />
    );
  }

  private _options: IChatPanelOptions;
}
