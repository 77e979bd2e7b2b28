// aedes-persistence-redis ships no types; the factory is all telemq uses.
declare module 'aedes-persistence-redis' {
  export default function createRedisPersistence(options: Record<string, unknown>): unknown;
}
