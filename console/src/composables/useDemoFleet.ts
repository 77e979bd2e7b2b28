// The demo fleet from the empty fleet page (POST /api/demo-fleet, admin): its state as the broker
// reports it, and start/stop with the broker's reason when it refuses.
import type { DemoFleetStatus } from '@telemq/broker/contract';
import { shallowRef } from 'vue';
import { useSessionStore } from '../stores/session.ts';

export function useDemoFleet() {
  const session = useSessionStore();
  const status = shallowRef<DemoFleetStatus | null>(null);
  const error = shallowRef('');
  const isBusy = shallowRef(false);

  async function run(action: () => Promise<DemoFleetStatus>): Promise<void> {
    isBusy.value = true;
    error.value = '';
    try {
      status.value = await action();
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      isBusy.value = false;
    }
  }

  void session.api.demoFleet().then(
    (s) => void (status.value = s),
    () => undefined, // an older broker without the route: no demo controls
  );

  return {
    status,
    error,
    isBusy,
    start: () => run(() => session.api.controlDemoFleet({ action: 'start' })),
    stop: () => run(() => session.api.controlDemoFleet({ action: 'stop' })),
  };
}
