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
  assets: { id: string; version: number; out: boolean }[];
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

export function applyAnswer(step: string, state: VuState, body: unknown): { applied: string[]; unexpected: string[] };
