import { createECDH, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** What notify-staff needs to send Web Push, and what the PWA subscribes with (the public key). */
export interface PushKeys {
  vapidPublicKey: string;
  vapidPrivateKey: string;
  vapidSubject: string;
  /** The shared secret the outbox webhook and the sweep present to notify-staff. */
  notifySecret: string;
}

const storedSchema = z.object({
  vapidPublicKey: z.string(),
  vapidPrivateKey: z.string(),
  vapidSubject: z.string(),
  notifySecret: z.string().min(16),
});

/** A VAPID key pair (P-256): the public key as the uncompressed point, the private key as 32 bytes, both base64url. */
export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  // The private scalar may come back shorter than 32 bytes; VAPID wants exactly 32.
  const scalar = ecdh.getPrivateKey();
  const privateKey = Buffer.concat([Buffer.alloc(32 - scalar.length), scalar]);
  return { publicKey: ecdh.getPublicKey().toString('base64url'), privateKey: privateKey.toString('base64url') };
}

/**
 * The local stack's push keys: supabase/functions/.env wins (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY,
 * VAPID_SUBJECT, NOTIFY_STAFF_SECRET), else the ones generated once for this data folder, so
 * subscriptions saved by a phone stay valid across restarts.
 */
export async function loadOrCreatePushKeys(dir: string, fresh: boolean, fromEnv: Record<string, string>): Promise<PushKeys> {
  const file = join(dir, 'push-keys.json');
  let stored: PushKeys | null = null;
  if (!fresh && existsSync(file)) {
    const parsed = storedSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (parsed.success) stored = parsed.data;
  }
  if (stored === null) {
    const vapid = generateVapidKeys();
    stored = {
      vapidPublicKey: vapid.publicKey,
      vapidPrivateKey: vapid.privateKey,
      vapidSubject: 'mailto:crew-notifications@gigmanager.invalid',
      notifySecret: randomBytes(24).toString('base64url'),
    };
    await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  return {
    vapidPublicKey: fromEnv['VAPID_PUBLIC_KEY'] ?? stored.vapidPublicKey,
    vapidPrivateKey: fromEnv['VAPID_PRIVATE_KEY'] ?? stored.vapidPrivateKey,
    vapidSubject: fromEnv['VAPID_SUBJECT'] ?? stored.vapidSubject,
    notifySecret: fromEnv['NOTIFY_STAFF_SECRET'] ?? stored.notifySecret,
  };
}
