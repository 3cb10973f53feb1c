import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { errorMessage } from '../../core/errors';

const API_KEY_ISSUED_AT = 1_764_000_000; // 2025-11-24
const API_KEY_EXPIRES_AT = 2_079_360_000; // ten years later

/** HS256 tokens signed with the stack's secret, shaped like the ones GoTrue and the CLI mint. */
export class JwtKeys {
  private readonly key: Uint8Array;

  constructor(
    readonly secret: string,
    private readonly now: () => number,
  ) {
    if (secret.length < 32) throw new Error('the JWT secret must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: JWTPayload): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.key);
  }

  /**
   * The anon / service_role API keys, minted like `supabase start` does: issuer supabase-demo,
   * fixed issue and expiry times, so a data folder keeps the same keys across restarts.
   */
  apiKey(role: 'anon' | 'service_role'): Promise<string> {
    return this.sign({ iss: 'supabase-demo', role, iat: API_KEY_ISSUED_AT, exp: API_KEY_EXPIRES_AT });
  }

  async verify(token: string): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        currentDate: new Date(this.now()),
      });
      return { ok: true, claims: payload };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      return { ok: false, reason: 'invalid', detail: errorMessage(error) };
    }
  }
}

export type VerifyResult =
  { ok: true; claims: JWTPayload } | { ok: false; reason: 'expired' } | { ok: false; reason: 'invalid'; detail: string };

export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
