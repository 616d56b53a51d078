/**
 * The model picker's state: what the endpoint offers (the server reads its
 * `/v1/models`), and what the user picked (kept per user in the settings
 * registry). The server checks the pick again before it is used.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { api } from './api';
import type { ICodeActSettings, ReasoningEffort } from './tokens';
import type { IModelList } from './wire';

/** What goes with a request: nothing where the server's own choice holds. */
export interface IModelRequest {
  model?: string;
  reasoning_effort?: string;
}

export class ModelChoices {
  constructor(settings: () => ICodeActSettings) {
    this._settings = settings;
  }

  /** The endpoint's models (null until read). */
  get list(): IModelList | null {
    return this._list;
  }

  /** Why the list could not be read from the server, if it could not. */
  get error(): string | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Read the list again (`refresh`: ask the endpoint, not the server's copy). */
  async refresh(refresh = true): Promise<void> {
    try {
      this._list = await api.models(refresh);
      this._error = null;
    } catch (error) {
      this._error = String((error as Error).message ?? error);
    }
    this._changed.emit(undefined);
  }

  /** The model the next request uses, as the header shows it. */
  get model(): string {
    const picked = this._settings().model;
    const list = this._list;
    if (!list) {
      return picked;
    }
    return picked && this.offers(picked) ? picked : list.default;
  }

  /**
   * The user's pick that the endpoint no longer lists (the header says
   * the server's model is used instead), or null.
   */
  get unavailable(): string | null {
    const picked = this._settings().model;
    return picked && this._list && !this.offers(picked) ? picked : null;
  }

  /** The reasoning effort the next request uses ('' : the server's). */
  get effort(): ReasoningEffort {
    return this.takesEffort(this.model) ? this._settings().reasoningEffort : '';
  }

  offers(model: string): boolean {
    return !!this._list?.models.some(item => item.id === model);
  }

  takesEffort(model: string): boolean {
    return !!this._list?.models.find(item => item.id === model)
      ?.reasoning_effort;
  }

  /**
   * Whether a request can go now: a model picked by the user waits for
   * the list that the server checks it against (if the list cannot be
   * read, the server's model is used).
   */
  get ready(): boolean {
    return (
      !this._settings().model || this._list !== null || this._error !== null
    );
  }

  /** The fields of the next request. */
  request(): IModelRequest {
    const request: IModelRequest = {};
    const model = this.model;
    if (model && this._list && model !== this._list.default) {
      request.model = model;
    }
    if (this.effort) {
      request.reasoning_effort = this.effort;
    }
    return request;
  }

  private _settings: () => ICodeActSettings;
  private _list: IModelList | null = null;
  private _error: string | null = null;
  private _changed = new Signal<this, void>(this);
}
