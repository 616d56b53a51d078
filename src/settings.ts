/**
 * The user settings, typed, observable and writable (the panel's approval
 * menu writes the setting, so the panel and the settings editor agree).
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ActionStyle,
  ApprovalMode,
  ICodeActSettings,
  normalizeSettings
} from './tokens';

export class SettingsModel {
  get current(): ICodeActSettings {
    return this._current;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The approval mode the user chose (in the panel or the settings), or
   * null: then the server's `c.CodeAct.approval_mode` applies.
   */
  get userApprovalMode(): ApprovalMode | null {
    return this._userApprovalMode;
  }

  /**
   * The action style the user set in the settings, or null: then the
   * server's `c.CodeAct.action_style` applies.
   */
  get userActionStyle(): ActionStyle | null {
    return this._userActionStyle;
  }

  /**
   * Follow `settings` from the registry (null: keep the defaults, in memory).
   */
  connect(settings: ISettingRegistry.ISettings | null): void {
    this._settings = settings;
    if (settings) {
      const update = (): void => {
        this._current = normalizeSettings(settings.composite);
        const user = settings.user.approvalMode;
        this._userApprovalMode =
          user === 'auto' || user === 'ask' ? user : null;
        const style = settings.user.actionStyle;
        this._userActionStyle =
          style === 'auto' || style === 'tags' || style === 'tools'
            ? style
            : null;
        this._changed.emit(undefined);
      };
      settings.changed.connect(update);
      update();
    }
  }

  /**
   * Change one setting; saved in the registry when there is one.
   */
  async set<K extends keyof ICodeActSettings>(
    key: K,
    value: ICodeActSettings[K]
  ): Promise<void> {
    this._current = { ...this._current, [key]: value };
    if (key === 'approvalMode') {
      this._userApprovalMode = value as ApprovalMode;
    }
    this._changed.emit(undefined);
    if (this._settings) {
      await this._settings.set(key, value);
    }
  }

  private _current: ICodeActSettings = normalizeSettings(null);
  private _settings: ISettingRegistry.ISettings | null = null;
  private _userApprovalMode: ApprovalMode | null = null;
  private _userActionStyle: ActionStyle | null = null;
  private _changed = new Signal<this, void>(this);
}
