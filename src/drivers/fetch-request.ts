/**
 * `substrate fetch` behind the driver interface ({@link Driver.fetchInputs}): the request a
 * command hands a driver, and what the driver answers. The Portage driver fetches upstream
 * stage3 seeds and snapshots; drivers whose inputs come some other way (apt) leave it out.
 */
import type { PlannedStage } from "../plan/types.js";
import type { Event } from "../report/events.js";

/** What to fetch, for which stages, from where. */
export interface FetchInputsRequest {
  /** The planned stages: the whole tree, or what `--only` selected and what it needs. */
  readonly stages: readonly PlannedStage[];
  /** The store's builds folder: seeds are placed where the stages' `source_subpath` names them. */
  readonly buildsDir: string;
  /** The store's cache folder (downloads, verified snapshots). */
  readonly cacheDir: string;
  /** Mirror base URLs, tried in order. */
  readonly mirrors: readonly string[];
  /** OpenPGP keyring (default: the distribution's release key where installed). */
  readonly keyring?: string;
  /** Accept input no signature covers (digests are still checked). */
  readonly insecure?: boolean;
  /** Fetch seeds (default true). */
  readonly seeds?: boolean;
  /** Fetch snapshots (default true). */
  readonly snapshots?: boolean;
  /** Pin seeds to this autobuild (e.g. `20250105T170325Z`) instead of the latest. */
  readonly seedDate?: string;
  /** Use this local file (its digests beside it) as the seed. */
  readonly seedFile?: string;
  /** Upstream seed variant (Portage: `openrc`, `systemd`, ...). */
  readonly variant?: string;
  /** Progress, notes, each input provided (`info`) and each one that could not be (`error`). */
  readonly emit: (event: Event) => void;
  readonly signal?: AbortSignal;
}

/** How a fetch went. */
export interface FetchInputsSummary {
  /** Inputs that could not be provided, each reported as an `error` event. */
  readonly failed: number;
}
