// The broker's bridge rules (GET /api/bridge-rules), for the explorer's preview: loaded once per
// session when first needed; null until they arrive, with the error if they could not be read.
import type { BridgeRulesResponse } from '@telemq/broker/contract';
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import { useSessionStore } from './session.ts';

export const useBridgeRulesStore = defineStore('bridge-rules', () => {
  const session = useSessionStore();
  const rules = shallowRef<BridgeRulesResponse | null>(null);
  const error = shallowRef('');
  let loading: Promise<void> | null = null;

  function load(): Promise<void> {
    loading ??= session.api.bridgeRules().then(
      (r) => {
        rules.value = r;
        error.value = '';
      },
      (err: unknown) => {
        loading = null;
        error.value = (err as Error).message;
      },
    );
    return loading;
  }

  function reset(): void {
    loading = null;
    rules.value = null;
  }

  return { rules, error, load, reset };
});
