import type { Scenario } from './scenario';

/** One crew member of the load cohort, as prepared (users file). */
export interface LoadUser {
  email: string;
  password: string;
  device_id: string;
  gig_id: string;
  root_gig_id: string;
  assets: { id: string; version: number }[];
}

export interface VuState {
  accessToken: string | null;
  cursor: string | null;
  /** `heard`: the version came from the server in this run, not from the users file. */
  assets: { id: string; version: number; out: boolean; heard: boolean }[];
}

export interface StepRequest {
  name: string;
  method: 'POST';
  path: string;
  body: Record<string, unknown>;
  signedIn: boolean;
}

export function stepRequest(
  step: string,
  user: LoadUser,
  state: VuState,
  tools: { random: () => number; newId: () => string; now: () => string; searchTerms: string[] },
): StepRequest;

export function requestName(step: string): string;

export function k6Thresholds(scenario: Pick<Scenario, 'once' | 'loop' | 'thresholds'>): Record<string, string[]>;

export function startState(user: LoadUser, cursor: string | null): VuState;

export function applyAnswer(step: string, state: VuState, body: unknown): { applied: string[]; unexpected: string[]; refreshed: string[] };
