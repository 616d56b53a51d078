/**
 * What the user chose for the next request: approval, action style, how
 * cells are placed and explained, untrusted outputs and the model.
 *
 * This is the panel's half of the one settings rule (the server's is
 * `server/resolve.py`): the user's choice where one was made, else the
 * server's value; the server's `ask` is a floor the user cannot lower. The
 * server applies the rule again, so a stale page cannot lower it either.
 */
import { ModelChoices } from './modelchoice';
import { ServerConfig } from './serverconfig';
import type { ISendOptions } from './session';
import { ActionStyle, ApprovalMode, ICodeActSettings } from './tokens';

export interface IRequestChoicesOptions {
  settings: () => ICodeActSettings;
  /** The approval mode the user chose, or null to follow the server's. */
  userApprovalMode: () => ApprovalMode | null;
  /** The action style the user set, or null to follow the server's. */
  userActionStyle?: () => ActionStyle | null;
  /** Whether the user wants the agent's outputs rendered untrusted. */
  untrustedOutputs?: () => boolean;
  server: ServerConfig;
  models: ModelChoices;
}

/** The choices of a request that do not depend on the notebook's cells. */
export type Choices = Omit<
  ISendOptions,
  'userCell' | 'userCellId' | 'selectedCell'
>;

export class RequestChoices {
  constructor(options: IRequestChoicesOptions) {
    this._options = options;
  }

  /** The approval mode the next request runs with. */
  get approvalMode(): ApprovalMode {
    if (this.approvalRequired) {
      return 'ask';
    }
    return (
      this._options.userApprovalMode() ??
      this._options.server.value?.approval_mode ??
      this._options.settings().approvalMode
    );
  }

  /** Whether the server requires approval (`c.CodeAct.approval_mode = "ask"`). */
  get approvalRequired(): boolean {
    return this._options.server.approvalRequired;
  }

  /** The choices to send with the next request. */
  now(): Choices {
    const settings = this._options.settings();
    return {
      ...this._options.models.request(),
      approval: this.approvalMode,
      actionStyle: this._options.userActionStyle?.() ?? null,
      replaceFailed: settings.replaceFailedCells,
      position: settings.insertPosition,
      narrate: settings.narrate,
      untrusted: this._options.untrustedOutputs?.() ?? false
    };
  }

  private _options: IRequestChoicesOptions;
}
