import { mount } from '@vue/test-utils';
import { expect, test } from 'vitest';
import App from '../src/App.vue';

test('the console mounts', () => {
  expect(mount(App).text()).toContain('telemq');
});
