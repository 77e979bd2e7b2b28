export * from './topics.ts';
export type * from './api.ts';
