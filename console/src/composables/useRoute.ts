// A hash router small enough to read: four pages, one parameter.
import { onScopeDispose, readonly, ref } from 'vue';

export type Route = { name: 'fleet' } | { name: 'device'; deviceId: string } | { name: 'explorer' } | { name: 'broker' };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const device = /^\/devices\/([^/]+)$/.exec(path);
  if (device) return { name: 'device', deviceId: decodeURIComponent(device[1]!) };
  if (path === '/explorer') return { name: 'explorer' };
  if (path === '/broker') return { name: 'broker' };
  return { name: 'fleet' };
}

export function hrefOf(route: Route): string {
  if (route.name === 'device') return `#/devices/${encodeURIComponent(route.deviceId)}`;
  return route.name === 'fleet' ? '#/' : `#/${route.name}`;
}

/** The current route, followed while the calling component lives (App.vue: the one router). */
export function useRoute() {
  const current = ref<Route>(parseHash(globalThis.location?.hash ?? ''));
  const follow = () => void (current.value = parseHash(globalThis.location.hash));
  globalThis.addEventListener?.('hashchange', follow);
  onScopeDispose(() => globalThis.removeEventListener?.('hashchange', follow));
  return readonly(current);
}
