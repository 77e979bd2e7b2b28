import { ref, watchEffect } from 'vue';

export type Theme = 'light' | 'dark';

const key = 'telemq.theme';
const prefersDark = globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
const theme = ref<Theme>((globalThis.localStorage?.getItem(key) as Theme | null) ?? (prefersDark ? 'dark' : 'light'));

watchEffect(() => {
  globalThis.document?.documentElement.setAttribute('data-theme', theme.value);
  globalThis.localStorage?.setItem(key, theme.value);
});

export function useTheme() {
  return {
    theme,
    toggle: () => {
      theme.value = theme.value === 'dark' ? 'light' : 'dark';
    },
  };
}
