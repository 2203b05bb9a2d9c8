/**
 * The one-line notice for a change an automation rule approved (README, "Automation rules and
 * exceptions"): enough to see what the pipeline did and find it again, without buttons, because
 * nothing waits for a person.
 */
import { finishMessage } from '../limits.js';
import { code, md } from '../mrkdwn.js';
import { type ChangeView, cap, headlineOf, severityEmoji } from './common.js';
import { type SlackMessage, section } from './kit.js';

/** `✅ Approved by automation rule terraform-ci: 🟡 <headline> — gh-1234 (terraform) in <account> <region> · <change id>`. */
export function buildAutomationApproved(view: ChangeView, rule: string): SlackMessage {
  const { change } = view;
  const line = md`✅ Approved by automation rule ${code(cap(rule, 100))}: ${severityEmoji(view.assessment.severity)} ${cap(headlineOf(view), 200)} — ${cap(change.actor.name, 120)} (${change.source.tool.name}) in ${change.account} ${change.region} · ${code(cap(change.id, 100))}`;
  const text = md`Approved by automation rule ${cap(rule, 100)}: ${cap(headlineOf(view), 200)} — ${cap(change.actor.name, 120)}`;
  return finishMessage(text.text, [section(line)]);
}
