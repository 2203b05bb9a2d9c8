/** The pure Block Kit builders of netwarden's Slack surfaces, and their input types. */
export { type AlertInput, buildAlert, buildDecided, type DecidedInput } from './alert.js';
export { type ChangeView, type Decision, formatUtc, outcomeLine, severityEmoji } from './common.js';
export { buildAlreadyDecided, buildEphemeral } from './ephemeral.js';
export { buildEscalation, type EscalationInput } from './escalation.js';
export { buildHome, buildHomeRefused, type HomeItem, type HomeOptions, orderHomeItems } from './home.js';
export type { HomeView, NwBlock, SlackMessage } from './kit.js';
export { buildThreadReply, type ThreadEvent } from './thread.js';
