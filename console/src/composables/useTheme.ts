// Light or dark: chosen once by App.vue (stored choice, else the system's), which owns the watcher
// that applies and stores it, and provided to the components that draw with it (charts).
import { inject, provide, ref, watchEffect, type InjectionKey, type Ref } from 'vue';

export type Theme = 'light' | 'dark';

export interface ThemeState {
  theme: Ref<Theme>;
  toggle(): void;
}

const key = 'telemq.theme';
const themeKey: InjectionKey<ThemeState> = Symbol('theme');

function themeState(initial: Theme): ThemeState {
  const theme = ref<Theme>(initial);
  return { theme, toggle: () => void (theme.value = theme.value === 'dark' ? 'light' : 'dark') };
}

/** In App.vue: the theme for the whole app, applied to <html data-theme> and remembered. */
export function provideTheme(): ThemeState {
  const stored = globalThis.localStorage?.getItem(key);
  const prefersDark = globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
  const state = themeState(stored === 'light' || stored === 'dark' ? stored : prefersDark ? 'dark' : 'light');
  watchEffect(() => {
    globalThis.document?.documentElement.setAttribute('data-theme', state.theme.value);
    globalThis.localStorage?.setItem(key, state.theme.value);
  });
  provide(themeKey, state);
  return state;
}

/** The app's theme; a component mounted alone (a unit test) gets a light one of its own. */
export function useTheme(): ThemeState {
  return inject(themeKey, null) ?? themeState('light');
}
