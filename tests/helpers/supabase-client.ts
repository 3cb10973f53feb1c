import { createClient } from '@supabase/supabase-js';

/** A supabase-js client for Node tests and scripts: no stored session, no refresh timer. */
export function nodeSupabaseClient(url: string, key: string) {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

export type NodeSupabaseClient = ReturnType<typeof nodeSupabaseClient>;
