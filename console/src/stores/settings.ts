// What the broker says about showing and onboarding (GET /api/console-settings): field formats,
// the stale multiple and how devices connect. Loaded once per session; defaults until then.
import type { ConsoleSettings } from '@telemq/broker/contract';
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import { useSessionStore } from './session.ts';

export const fallbackSettings: ConsoleSettings = { fields: {}, staleAfterIntervals: 3, connect: { mqttPort: 1883, wsPath: '/mqtt' }, canMintTokens: false };

export const useSettingsStore = defineStore('settings', () => {
  const session = useSessionStore();
  const settings = shallowRef<ConsoleSettings>(fallbackSettings);
  let loading: Promise<void> | null = null;

  function load(): Promise<void> {
    loading ??= session.api.consoleSettings().then(
      (s) => void (settings.value = s),
      () => void (loading = null),
    );
    return loading;
  }

  function reset(): void {
    loading = null;
    settings.value = fallbackSettings;
  }

  return { settings, load, reset };
});
