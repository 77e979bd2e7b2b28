// Tests' stand-in for main.ts: the services provided to an app whose Pinia is the active one, so
// stores made in the test (or by a mounted component) inject them as in the browser.
import { createPinia, setActivePinia } from 'pinia';
import { createApp } from 'vue';
import { createServices, provideServices, type Services } from '../src/services.ts';

export function installServices(overrides: Partial<Services>): void {
  const pinia = createPinia();
  provideServices(createApp({}), createServices(overrides)).use(pinia);
  setActivePinia(pinia);
}
