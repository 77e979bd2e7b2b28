// Who is logged in: the token (from POST /api/login or pasted), its expiry, and why a session ended.
import type { LoginResponse } from '@telemq/broker/contract';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { useServices, type Services } from '../services.ts';

const storageKey = 'telemq.session';

interface Saved {
  token: string;
  username: string;
  role: string;
  expiresAtMs: number | null;
}

/** Reads (never verifies: the broker does) the claims of a JWT; opaque tokens give nulls. */
export function readClaims(token: string): { sub: string | null; role: string | null; expMs: number | null } {
  try {
    const part = token.split('.')[1];
    if (!part) throw new Error('not a JWT');
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown; role?: unknown; exp?: unknown };
    return {
      sub: typeof json.sub === 'string' ? json.sub : null,
      role: typeof json.role === 'string' ? json.role : null,
      expMs: typeof json.exp === 'number' ? json.exp * 1000 : null,
    };
  } catch {
    return { sub: null, role: null, expMs: null };
  }
}

/**
 * Why a pasted text is not a JWT, or null: three base64url parts, the first two JSON objects.
 * Checked before use, so a mangled paste says so instead of looking like an expired session.
 */
export function tokenShapeProblem(token: string): string | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return 'That is not a token: a JWT is three base64url parts joined by dots (header.claims.signature). Was it cut or wrapped when copied?';
  try {
    for (const part of parts.slice(0, 2)) {
      const value: unknown = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
      if (value === null || typeof value !== 'object') throw new Error('not an object');
    }
  } catch {
    return 'That token is malformed: its header or claims are not readable JSON. Was it cut or wrapped when copied?';
  }
  return null;
}

export const useSessionStore = defineStore('session', () => {
  const services = useServices();
  const saved = load(services.storage);
  const token = ref<string | null>(saved?.token ?? null);
  const username = ref(saved?.username ?? '');
  const role = ref(saved?.role ?? '');
  const expiresAtMs = ref<number | null>(saved?.expiresAtMs ?? null);
  /** why the last session ended, shown on the login page */
  const message = ref('');
  const isLoggedIn = computed(() => token.value !== null);
  let expiryTimer: ReturnType<typeof setTimeout> | undefined;

  /** why the pasted token in use is not a JWT, if it is not */
  let shapeProblem: string | null = null;
  const api = services.createApi({ getToken: () => token.value, onUnauthorized: () => refused() });

  /** the broker refused the token (API 401, or MQTT CONNACK refusal) */
  function refused(detail = ''): void {
    if (token.value === null) return; // a late answer to a request of a session already over
    if (shapeProblem) return logout(shapeProblem);
    logout(detail ? `The broker refused the session (${detail}). Log in again.` : 'Your session has expired or was revoked. Log in again.');
  }

  function begin(next: Saved): void {
    if (next.expiresAtMs !== null && next.expiresAtMs <= Date.now()) return logout('That token has expired.');
    token.value = next.token;
    username.value = next.username;
    role.value = next.role;
    expiresAtMs.value = next.expiresAtMs;
    message.value = '';
    services.storage?.setItem(storageKey, JSON.stringify(next));
    armExpiry();
  }

  function armExpiry(): void {
    clearTimeout(expiryTimer);
    if (expiresAtMs.value === null) return;
    // setTimeout caps at ~24.8 days; longer tokens are re-checked then.
    const inMs = Math.min(expiresAtMs.value - Date.now(), 2 ** 31 - 1);
    expiryTimer = setTimeout(() => (expiresAtMs.value !== null && expiresAtMs.value <= Date.now() ? logout('Your session expired. Log in again.') : armExpiry()), Math.max(0, inMs));
  }

  async function login(user: string, password: string): Promise<void> {
    const res: LoginResponse = await api.login({ username: user, password });
    begin({ token: res.token, username: res.username, role: res.role, expiresAtMs: res.expiresAt });
  }

  /**
   * A pasted token. A broken JWT (it has dots or starts like one) is refused here with what is
   * wrong; other text is tried (a broker with auth off takes anything), and if the broker refuses
   * it the login page says it is not a token rather than "expired".
   */
  function useToken(raw: string): void {
    const trimmed = raw.trim();
    const problem = tokenShapeProblem(trimmed);
    if (problem && (trimmed.includes('.') || trimmed.startsWith('eyJ'))) throw new Error(problem);
    shapeProblem = problem;
    const claims = readClaims(trimmed);
    begin({ token: trimmed, username: claims.sub ?? 'token', role: claims.role ?? '', expiresAtMs: claims.expMs });
  }

  function logout(reason = ''): void {
    clearTimeout(expiryTimer);
    shapeProblem = null;
    token.value = null;
    message.value = reason;
    services.storage?.removeItem(storageKey);
  }

  if (token.value) begin({ token: token.value, username: username.value, role: role.value, expiresAtMs: expiresAtMs.value });

  /** the page origin the API and live connection use (the onboarding shows it) */
  const baseUrl = services.baseUrl;

  return { token, username, role, expiresAtMs, message, isLoggedIn, api, baseUrl, login, useToken, logout, refused };
});

function load(storage: Services['storage']): Saved | null {
  try {
    const raw = storage?.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Saved) : null;
  } catch {
    return null;
  }
}
