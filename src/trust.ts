/**
 * Project trust, for the panel: the files of the followed notebook's
 * project (`.jupyter/mcp.json`, `AGENTS.md`) that the user has not trusted,
 * and the user's decision on exactly what was shown. The server uses none
 * of them until the user trusts them (read `jupyter_codeact/trust.py`).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { api } from './api';
import { ITrustFile, TrustDecision } from './wire';

export interface ITrustModelOptions {
  /** Told after a decision was recorded (the rules that apply changed). */
  onDecided?: () => void;
}

export class TrustModel {
  constructor(options: ITrustModelOptions = {}) {
    this._options = options;
  }

  /** The notebook whose project files are shown. */
  get path(): string | null {
    return this._path;
  }

  /** Its project files the user has not trusted (empty: nothing to ask). */
  get files(): readonly ITrustFile[] {
    return this._files;
  }

  /** Why the last decision could not be recorded, for the user. */
  get problem(): string | null {
    return this._problem;
  }

  /** Whether a decision is being recorded. */
  get deciding(): boolean {
    return this._deciding;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Ask the server again which files of notebook `path` wait for trust. */
  async refresh(path: string | null): Promise<void> {
    const ticket = ++this._ticket;
    if (path !== this._path) {
      this._path = path;
      this._files = [];
      this._problem = null;
      this._changed.emit(undefined);
    }
    if (path === null) {
      return;
    }
    try {
      const { files } = await api.trust(path);
      if (ticket === this._ticket) {
        this._files = files;
        this._changed.emit(undefined);
      }
    } catch (error) {
      console.warn(
        'CodeAct: cannot read which project files need trust',
        error
      );
    }
  }

  /**
   * Trust (or not now) every file shown, as shown. A file that changed
   * since is refused by the server: the prompt then shows it as it is now.
   */
  async decide(decision: TrustDecision): Promise<void> {
    const path = this._path;
    if (path === null || !this._files.length || this._deciding) {
      return;
    }
    this._deciding = true;
    this._problem = null;
    this._changed.emit(undefined);
    try {
      const { files } = await api.decideTrust(path, this._files, decision);
      this._files = files;
      this._options.onDecided?.();
    } catch (error) {
      this._problem = String((error as Error).message ?? error);
      void this.refresh(path);
    } finally {
      this._deciding = false;
      this._changed.emit(undefined);
    }
  }

  private _options: ITrustModelOptions;
  private _path: string | null = null;
  private _files: readonly ITrustFile[] = [];
  private _problem: string | null = null;
  private _deciding = false;
  private _ticket = 0;
  private _changed = new Signal<this, void>(this);
}
