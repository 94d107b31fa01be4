// The station-wide guarantee on the station's usable EVSEs grouped by what they offer
// (spec/everest-evse-dialect.md §5): EVSEs that offer the same connector types are
// interchangeable, and so are reservations of one type, so one small max-flow per distinct
// reservation type decides it, whatever the number of EVSEs.
import { type ConnectorType, UNKNOWN_TYPE } from './types';

/** Does a request for `wanted` match a connector of type `have`? Unknown on either side matches. */
export function typesMatch(wanted: ConnectorType, have: ConnectorType): boolean {
  return wanted === have || wanted === UNKNOWN_TYPE || have === UNKNOWN_TYPE;
}

/** Usable EVSEs (no car, no EVSE-specific reservation) offering the same available connector types. */
export interface UsableClass {
  /** The types of the connectors available there (neither disabled nor faulted), never empty. */
  readonly types: readonly ConnectorType[];
  readonly count: number;
}

export interface CapacityInput {
  /** Usable EVSEs, by what they offer. */
  usable: Iterable<UsableClass>;
  /** Every EVSE of the station, whatever its state. */
  evseCount: number;
  /** EVSE-specific reservations held. */
  specificCount: number;
}

/** Whether a usable EVSE offering `types` can take a driver asking for `wanted`. */
export function offers(types: readonly ConnectorType[], wanted: ConnectorType): boolean {
  return wanted === UNKNOWN_TYPE ? types.length > 0 : types.some((have) => typesMatch(wanted, have));
}

/**
 * Whether the station keeps its guarantee with these station-wide reservations (type -> count):
 * the count check, then for each type t held, whether the other reservations could take every
 * EVSE usable for t before the last driver of type t arrives.
 */
export function keepsGuarantee(input: CapacityInput, stationWide: ReadonlyMap<ConnectorType, number>): boolean {
  let held = 0;
  for (const count of stationWide.values()) held += count;
  if (held + input.specificCount > input.evseCount) return false;
  if (held === 0) return true;
  const classes = [...input.usable].filter((c) => c.count > 0);
  for (const [type, count] of stationWide) {
    if (count === 0) continue;
    const forType = classes.filter((c) => offers(c.types, type));
    const usableForType = forType.reduce((sum, c) => sum + c.count, 0);
    if (usableForType === 0) return false;
    const others = new Map(stationWide);
    others.set(type, count - 1);
    if (maxCover(others, forType) >= usableForType) return false;
  }
  return true;
}

/** How many of `targets`' EVSEs the reservations can take at once, each one EVSE that offers its type. */
function maxCover(reservations: ReadonlyMap<ConnectorType, number>, targets: readonly UsableClass[]): number {
  const types = [...reservations].filter(([, count]) => count > 0);
  // Nodes: 0 source, 1..types, then classes, then sink.
  const sink = 1 + types.length + targets.length;
  const capacity = Array.from({ length: sink + 1 }, () => new Array<number>(sink + 1).fill(0));
  const link = (from: number, to: number, cap: number): void => {
    (capacity[from] as number[])[to] = cap;
  };
  types.forEach(([type, count], i) => {
    link(0, 1 + i, count);
    targets.forEach((target, j) => {
      if (offers(target.types, type)) link(1 + i, 1 + types.length + j, Infinity);
    });
  });
  targets.forEach((target, j) => link(1 + types.length + j, sink, target.count));
  return maxFlow(capacity, 0, sink);
}

/** Edmonds-Karp on a small dense graph: the graph has at most (types + classes + 2) nodes. */
function maxFlow(capacity: number[][], source: number, sink: number): number {
  let flow = 0;
  for (;;) {
    const parent = new Array<number>(capacity.length).fill(-1);
    parent[source] = source;
    const queue = [source];
    for (let head = 0; head < queue.length && parent[sink] === -1; head++) {
      const node = queue[head] as number;
      const row = capacity[node] as number[];
      for (let next = 0; next < row.length; next++) {
        if (parent[next] === -1 && (row[next] as number) > 0) {
          parent[next] = node;
          queue.push(next);
        }
      }
    }
    if (parent[sink] === -1) return flow;
    let push = Infinity;
    for (let node = sink; node !== source; node = parent[node] as number) {
      push = Math.min(push, (capacity[parent[node] as number] as number[])[node] as number);
    }
    for (let node = sink; node !== source; node = parent[node] as number) {
      const from = parent[node] as number;
      (capacity[from] as number[])[node] = ((capacity[from] as number[])[node] as number) - push;
      (capacity[node] as number[])[from] = ((capacity[node] as number[])[from] as number) + push;
    }
    flow += push;
  }
}
