/**
 * The server's configuration as the panel reads it (`GET codeact/config`:
 * never the API key), or why it could not be read.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { api } from './api';
import { IPublicConfig } from './wire';

export class ServerConfig {
  /** The configuration (null until loaded). */
  get value(): IPublicConfig | null {
    return this._value;
  }

  /** Why the configuration could not be loaded, if it could not. */
  get error(): string | null {
    return this._error;
  }

  /** Whether the server requires approval (`c.CodeAct.approval_mode = "ask"`). */
  get approvalRequired(): boolean {
    return this._value?.approval_mode === 'ask';
  }

  /** Emitted when `value` or `error` change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  async refresh(): Promise<void> {
    try {
      this._value = await api.config();
      this._error = null;
    } catch (error) {
      this._error = String((error as Error).message ?? error);
    }
    this._changed.emit(undefined);
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _value: IPublicConfig | null = null;
  private _error: string | null = null;
  private _changed = new Signal<this, void>(this);
}
