import { join } from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../supabase/local/stack';
import { nodeSupabaseClient } from './supabase-client';
import { errorMessage } from '../../core/errors';

export const FIXTURES = join(PROJECT_ROOT, 'tests', 'fixtures');

export interface TestStack extends LocalStack {
  /** A superuser connection for arranging data and inspecting results (never for the code under test). */
  db: pg.Pool;
  /** Creates a confirmed user through the admin API, as a seeder would. */
  createUser(email: string, password: string): Promise<string>;
}

/**
 * An isolated stack for one test file: fresh database in the temp folder, random ports, the
 * project's migrations and functions plus any fixtures the file asks for.
 */
export async function startTestStack(options: Omit<LocalStackOptions, 'fresh' | 'port' | 'dataDir'> = {}): Promise<TestStack> {
  const lines: string[] = [];
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      ...options,
      fresh: true,
      port: 0,
      log: (line) => {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        options.log?.(line);
      },
    });
  } catch (error) {
    throw new Error(`${errorMessage(error)}\n--- stack log ---\n${lines.join('\n')}`, {
      cause: error,
    });
  }
  const db = new pg.Pool({ connectionString: stack.dbUrl, max: 4 });
  db.on('error', () => undefined);
  const admin = nodeSupabaseClient(stack.url, stack.serviceRoleKey);
  return {
    ...stack,
    db,
    createUser: async (email, password) => {
      const { data, error } = await admin.auth.admin.createUser({ email, password, email_confirm: true });
      if (error !== null) throw error;
      return data.user.id;
    },
    stop: async () => {
      await db.end();
      await stack.stop();
    },
  };
}
