// The station-wide guarantee and what shows Reserved, as spec/everest-evse-dialect.md §5 states
// them, decided the slow, obvious way (every arrival order, every choice, as EVerest does):
// the checker's reference, independent of the module's flow-based engine in src/domain.

export const UNKNOWN = 'Unknown';

/** One EVSE as the guarantee sees it: its connectors' types and which are available, and whether it is usable at all. */
export interface RefEvse {
  connectors: ReadonlyArray<{ type: string; available: boolean }>;
  /** A car plugged in or charging. */
  occupied: boolean;
  /** Holds an EVSE-specific reservation. */
  held: boolean;
}

/** Unknown matches every type, on either side. */
export function matches(wanted: string, have: string): boolean {
  return wanted === have || wanted === UNKNOWN || have === UNKNOWN;
}

/** Usable for `type`: no car, no EVSE-specific reservation, an available connector matching it. */
export function usable(evse: RefEvse, type: string): boolean {
  return !evse.occupied && !evse.held && evse.connectors.some((c) => c.available && matches(type, c.type));
}

/** Whether any connector of the EVSE, in any state, matches `type`. */
export function hasType(evse: RefEvse, type: string): boolean {
  return type === UNKNOWN || evse.connectors.some((c) => matches(type, c.type));
}

/**
 * The guarantee with station-wide reservations of `types` held: at most as many reservations as
 * EVSEs, and whatever order their drivers arrive in and whichever usable EVSE of their type each
 * earlier one takes, every driver still finds one.
 */
export function keeps(evses: readonly RefEvse[], types: readonly string[]): boolean {
  if (types.length + evses.filter((e) => e.held).length > evses.length) return false;
  const memo = new Map<string, boolean>();
  const everyOrder = (left: readonly string[], taken: number): boolean => {
    if (left.length === 0) return true;
    const key = `${[...left].sort().join('|')}/${taken}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let ok = true;
    for (const type of new Set(left)) {
      const rest = [...left];
      rest.splice(rest.indexOf(type), 1);
      const choices = evses.flatMap((e, i) => ((taken & (1 << i)) === 0 && usable(e, type) ? [i] : []));
      if (choices.length === 0 || choices.some((i) => !everyOrder(rest, taken | (1 << i)))) {
        ok = false;
        break;
      }
    }
    memo.set(key, ok);
    return ok;
  };
  return everyOrder(types, 0);
}

/**
 * The EVSEs (indexes) told reserve(-1) ("Showing Reserved"): available ones (usable for Unknown);
 * all of them when they are exactly as many as the station-wide reservations, else for each held
 * type that could not take one more reservation of that type, the available EVSEs having a
 * connector of that type (in any state; every available EVSE for Unknown).
 */
export function shownReserved(evses: readonly RefEvse[], types: readonly string[]): Set<number> {
  if (types.length === 0) return new Set();
  const available = evses.flatMap((e, i) => (usable(e, UNKNOWN) ? [i] : []));
  if (available.length === types.length) return new Set(available);
  const shown = new Set<number>();
  for (const type of new Set(types)) {
    if (keeps(evses, [...types, type])) continue;
    for (const i of available) if (hasType(evses[i] as RefEvse, type)) shown.add(i);
  }
  return shown;
}
