/**
 * How full an office building is, by hour of a working or a rest day: the shape that lighting, sockets,
 * lifts, water and the canteen follow. Chinese public offices: 08:30–17:30 with a lunch break 12:00–13:00,
 * a few people early and late, duty staff on rest days.
 */

/** Occupancy in [0, 1] at a local hour (fractional) of a working day or a rest day. */
export function occupancy(hour: number, workday: boolean): number {
  if (!workday) return hour >= 9 && hour < 17 ? 0.08 : 0.02;
  if (hour < 7) return 0.02;
  if (hour < 8.5) return 0.02 + 0.93 * ramp(hour, 7, 8.5);
  if (hour < 12) return 0.95;
  if (hour < 13) return 0.95 - 0.3 * Math.sin(Math.PI * (hour - 12)); // lunch: some leave, canteen fills
  if (hour < 17.5) return 0.95;
  if (hour < 19) return 0.95 - 0.8 * ramp(hour, 17.5, 19);
  if (hour < 21.5) return 0.15 - 0.12 * ramp(hour, 19, 21.5); // overtime
  return 0.02;
}

/** Canteen activity in [0, 1]: preparing and serving lunch, a smaller dinner for overtime staff. */
export function canteen(hour: number, workday: boolean): number {
  const bump = (centre: number, width: number) => Math.exp(-(((hour - centre) / width) ** 2));
  return (workday ? 1 : 0.15) * (bump(11.3, 0.9) + 0.35 * bump(17.2, 0.6) + 0.25 * bump(7.3, 0.5));
}

/** Linear 0→1 between a and b. */
export function ramp(x: number, a: number, b: number): number {
  return Math.min(1, Math.max(0, (x - a) / (b - a)));
}
