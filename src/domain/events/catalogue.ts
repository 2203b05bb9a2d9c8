/**
 * Every covered event with its spec. Code outside `src/domain/events/` asks the catalogue about an
 * event instead of switching on its name, so adding an event means adding one entry to a family
 * module (see docs/architecture.md, "How to add an event").
 */
import type { NetworkChange, NetworkEventName } from '../change.js';
import { NETWORK_ACL_EVENTS } from './network-acls.js';
import { ROUTE_TABLE_EVENTS } from './route-tables.js';
import { SECURITY_GROUP_EVENTS } from './security-groups.js';
import type { EventCatalogue, EventSpec } from './spec.js';

export const EVENT_CATALOGUE: EventCatalogue = {
  ...ROUTE_TABLE_EVENTS,
  ...NETWORK_ACL_EVENTS,
  ...SECURITY_GROUP_EVENTS,
};

/**
 * The spec of `change`'s own event. The catalogue's mapped type pairs each name with its spec;
 * TypeScript cannot follow that pairing through a union, so the one cast lives here.
 */
export function specOf(change: NetworkChange): EventSpec<NetworkEventName> {
  return EVENT_CATALOGUE[change.eventName] as unknown as EventSpec<NetworkEventName>;
}
