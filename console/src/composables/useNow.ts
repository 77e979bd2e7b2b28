import { onScopeDispose, ref } from 'vue';

/** A clock that ticks every `everyMs` while the calling component lives. */
export function useNow(everyMs = 1000) {
  const now = ref(Date.now());
  const timer = setInterval(() => (now.value = Date.now()), everyMs);
  onScopeDispose(() => clearInterval(timer));
  return now;
}
