import type { Metrics } from '../metrics.js';
import type { ChangeStore } from './store.js';

/**
 * The store with the workflow's metrics counted where every decision passes anyway: each
 * transition (or lost race), each refused click, each first post of an alert. Counting here keeps
 * the counters in step with the audit trail without threading metrics through the workflow.
 */
export function meteredStore(store: ChangeStore, metrics: Metrics): ChangeStore {
  return {
    ...store,
    async transition(id, request) {
      const result = await store.transition(id, request);
      metrics.decisions.inc({ action: request.action, result: result.ok ? 'transition' : result.reason });
      if (result.ok && (request.to === 'reverted' || request.to === 'revert_failed')) {
        metrics.revertOutcomes.inc({ outcome: request.to });
      }
      return result;
    },
    async audit(entry) {
      await store.audit(entry);
      if (entry.outcome === 'refused') metrics.decisions.inc({ action: entry.action, result: 'refused' });
    },
    async saveMessage(id, message) {
      await store.saveMessage(id, message);
      metrics.alertsPosted.inc();
    },
  };
}
