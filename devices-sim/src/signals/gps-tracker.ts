// A vehicle tracker driving a closed route of waypoints around a town at a plausible speed,
// parking at some stops. The battery drains while moving and recharges while parked.
import { between, clamp, createRandom, round, type Random } from './random.ts';
import type { Signal } from './types.ts';

export interface LatLon {
  lat: number;
  lon: number;
}

export interface GpsTracker extends Signal {
  /** the closed route: the tracker drives from each waypoint to the next and from the last to the first */
  readonly route: readonly LatLon[];
}

const METERS_PER_DEG_LAT = 111_320;
const MAX_STEP_MS = 6 * 3_600_000;
const DRAIN_PCT_PER_HOUR = 6;
const CHARGE_PCT_PER_HOUR = 30;

/** Towns the routes start around, so positions land somewhere sensible on a map. */
const towns: readonly LatLon[] = [
  { lat: 52.52, lon: 13.405 },
  { lat: 48.8566, lon: 2.3522 },
  { lat: 51.5072, lon: -0.1276 },
  { lat: 40.4168, lon: -3.7038 },
  { lat: 45.4642, lon: 9.19 },
  { lat: 59.3293, lon: 18.0686 },
];

/** Equirectangular distance in meters: exact enough over a few kilometres. */
export function distanceM(a: LatLon, b: LatLon): number {
  const dy = (b.lat - a.lat) * METERS_PER_DEG_LAT;
  const dx = (b.lon - a.lon) * METERS_PER_DEG_LAT * Math.cos((((a.lat + b.lat) / 2) * Math.PI) / 180);
  return Math.hypot(dx, dy);
}

function makeRoute(random: Random): LatLon[] {
  const town = towns[Math.floor(random() * towns.length)]!;
  const stops = 6 + Math.floor(random() * 5);
  const route: LatLon[] = [];
  for (let i = 0; i < stops; i++) {
    // Waypoints around a loop 1-4 km from the centre, in order of angle so the route does not cross itself much.
    const angle = (i / stops) * 2 * Math.PI + between(random, -0.2, 0.2);
    const radiusM = between(random, 1000, 4000);
    route.push({
      lat: town.lat + (radiusM * Math.sin(angle)) / METERS_PER_DEG_LAT,
      lon: town.lon + (radiusM * Math.cos(angle)) / (METERS_PER_DEG_LAT * Math.cos((town.lat * Math.PI) / 180)),
    });
  }
  return route;
}

export function createGpsTracker(seed: number): GpsTracker {
  const random = createRandom(seed);
  const route = makeRoute(random);
  let leg = 0; // driving from route[leg] to route[leg + 1]
  let legDoneM = 0;
  let speedKmh = between(random, 25, 60);
  let parkedUntilMs: number | undefined;
  let batteryPct = between(random, 55, 100);
  let lastMs: number | undefined;

  const from = () => route[leg]!;
  const to = () => route[(leg + 1) % route.length]!;

  /** Moves the clock forward by `elapsedMs`, driving legs and parking at stops. */
  function advance(startMs: number, elapsedMs: number): void {
    let nowMs = startMs;
    const endMs = startMs + elapsedMs;
    while (nowMs < endMs) {
      if (parkedUntilMs !== undefined) {
        const parkMs = Math.min(endMs, parkedUntilMs) - nowMs;
        batteryPct = clamp(batteryPct + (CHARGE_PCT_PER_HOUR * parkMs) / 3_600_000, 0, 100);
        nowMs += parkMs;
        if (nowMs >= parkedUntilMs) parkedUntilMs = undefined;
        continue;
      }
      const remainingM = distanceM(from(), to()) - legDoneM;
      const speedMps = speedKmh / 3.6;
      const driveMs = Math.min(endMs - nowMs, (remainingM / speedMps) * 1000);
      legDoneM += (speedMps * driveMs) / 1000;
      batteryPct = clamp(batteryPct - (DRAIN_PCT_PER_HOUR * driveMs) / 3_600_000, 0, 100);
      nowMs += driveMs;
      if (legDoneM >= distanceM(from(), to()) - 1e-6) arriveAtStop(nowMs);
    }
  }

  function arriveAtStop(nowMs: number): void {
    leg = (leg + 1) % route.length;
    legDoneM = 0;
    speedKmh = between(random, 25, 60);
    if (random() < 0.35) parkedUntilMs = nowMs + between(random, 60_000, 15 * 60_000);
  }

  function position(): LatLon {
    const a = from();
    const b = to();
    const f = clamp(legDoneM / Math.max(distanceM(a, b), 1e-9), 0, 1);
    return { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f };
  }

  return {
    profile: 'gps-tracker',
    route,
    sample(atMs) {
      const elapsedMs = lastMs === undefined ? 0 : clamp(atMs - lastMs, 0, MAX_STEP_MS);
      if (lastMs !== undefined) advance(lastMs, elapsedMs);
      lastMs = lastMs === undefined ? atMs : Math.max(lastMs, atMs);
      const here = position();
      const isMoving = parkedUntilMs === undefined;
      const a = from();
      const b = to();
      const headingDeg = (Math.atan2((b.lon - a.lon) * Math.cos((a.lat * Math.PI) / 180), b.lat - a.lat) * 180) / Math.PI;
      return {
        lat: round(here.lat, 6),
        lon: round(here.lon, 6),
        speed: isMoving ? round(speedKmh, 1) : 0,
        heading: round((headingDeg + 360) % 360, 0),
        battery: round(batteryPct, 1),
        moving: isMoving ? 1 : 0,
      };
    },
  };
}
