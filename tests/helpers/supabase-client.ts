import { createClient, type RealtimeClientOptions } from '@supabase/supabase-js';
import WebSocket from 'ws';

/**
 * A supabase-js client for Node tests and scripts. Node 20 has no global WebSocket, which
 * supabase-js's realtime client insists on at construction, so `ws` is passed as its transport.
 */
export function nodeSupabaseClient(url: string, key: string) {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as unknown as NonNullable<RealtimeClientOptions['transport']> },
  });
}

export type NodeSupabaseClient = ReturnType<typeof nodeSupabaseClient>;
