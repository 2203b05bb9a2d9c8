/**
 * Safe text for Slack. Everything netwarden shows comes partly from AWS records that anyone with
 * EC2 API access shapes: tag values, session names, user agents, error messages. None of it may
 * turn into a broadcast (`<!channel>`, `<!here>`), a mention (`<@U…>`, `<!subteam^S…>`), a channel
 * link (`<#C…>`) or a disguised link (`<https://evil|click>`), nor restyle the message.
 *
 * The rules come from Slack's "Formatting message text" doc
 * (https://docs.slack.dev/messaging/formatting-message-text, formerly
 * api.slack.com/reference/surfaces/formatting#escaping): `&`, `<` and `>` are the control characters
 * of every mrkdwn string and must be sent as `&amp;`, `&lt;`, `&gt;` — and only those three, as
 * Slack decodes no other entity. Every manual mention and link needs a literal `<`, so escaping the
 * three makes them impossible. Mrkdwn has no escape for `*`, `_`, `~` and `` ` ``, so where they could
 * open or close a style they are swapped for look-alike characters (the technique of jsx-slack's
 * `<Escape>`, docs/about-escape-and-exact-mode.md). Text objects are sent with `verbatim: true`
 * (doc "Text object"), which stops Slack's own pre-processing from linkifying URLs and names.
 *
 * Safety is carried by a type: a `Mrkdwn` value is text that is already safe; the `md` template tag
 * escapes every interpolated plain string and passes `Mrkdwn` values through unchanged, so a
 * builder cannot forget to escape.
 */

/** Mrkdwn text that is safe to send: user-controlled parts have been escaped. */
export class Mrkdwn {
  private constructor(readonly text: string) {}

  /** Wraps text the caller vouches for (module-internal use: see `md` and the helpers below). */
  static trusted(text: string): Mrkdwn {
    return new Mrkdwn(text);
  }

  toString(): string {
    return this.text;
  }
}

/** What the `md` tag and the joiners accept: plain values are escaped, `Mrkdwn` passes through. */
export type MdValue = Mrkdwn | string | number;

// C0/C1 controls, line and paragraph separators, and bidi overrides/isolates ("Trojan Source"):
// none belongs in one line of a user agent or a tag, and a newline would let `&gt;` start a quote.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

// Slack's own words for broadcasts; with `verbatim: true` they are not parsed, but the fallback
// `text` of a message is parsed by clients, so a word joiner keeps them inert everywhere.
const BROADCAST_WORDS = /@(channel|here|everyone)\b/gi;
const WORD_JOINER = '\u2060';

// Look-alikes for the style characters (jsx-slack's table): same shape, no mrkdwn meaning.
const ASTERISK = '\u2217';
const TILDE = '\u223c';
const BACKTICK = '\u02cb';
const UNDERSCORE = '\u02cd';
const SOFT_HYPHEN = '\u00ad';

/** One line of plain text: control characters collapsed to a space, ends trimmed. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_CONTROLS, ' ').trim();
}

/** The three entity escapes Slack requires, and nothing else ("Formatting message text", Escaping text). */
export function escapeEntities(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

/*
 * `_` only styles text at a word edge (`_x_`), never inside a word (`AWSReservedSSO_NetworkAdmin_5f`),
 * so it is replaced only at an edge and ids stay copyable. `*`, `~` and `` ` `` never occur in AWS
 * ids, so they are always replaced.
 */
function neutraliseStyles(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '*') out += ASTERISK;
    else if (ch === '~') out += TILDE;
    else if (ch === '`') out += BACKTICK;
    else if (ch === '_' && !(isWordChar(text[i - 1]) && isWordChar(text[i + 1]))) out += UNDERSCORE;
    else out += ch;
  }
  return out;
}

/**
 * One user-controlled string as inline mrkdwn: a single line, entities escaped, broadcasts and style
 * characters neutralised, and a soft hyphen before a leading `&gt;` so it can never start a quote.
 */
export function escapeMrkdwn(text: string): string {
  const line = neutraliseStyles(oneLine(text)).replace(BROADCAST_WORDS, `@${WORD_JOINER}$1`);
  const escaped = escapeEntities(line);
  return escaped.startsWith('&gt;') ? SOFT_HYPHEN + escaped : escaped;
}

/** A plain string as safe mrkdwn. */
export function text(value: MdValue): Mrkdwn {
  if (value instanceof Mrkdwn) return value;
  return Mrkdwn.trusted(escapeMrkdwn(String(value)));
}

/** Template tag: the literal parts are ours and kept; every interpolated plain value is escaped. */
export function md(strings: TemplateStringsArray, ...values: MdValue[]): Mrkdwn {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += text(value).text + (strings[i + 1] ?? '');
  });
  return Mrkdwn.trusted(out);
}

/** Joins pieces with a literal separator (ours), escaping plain pieces. */
export function joinMd(parts: readonly MdValue[], separator: string): Mrkdwn {
  return Mrkdwn.trusted(parts.map((p) => text(p).text).join(separator));
}

/** `*value*`, with the value escaped; empty values stay empty so no stray `**` appears. */
export function bold(value: MdValue): Mrkdwn {
  const inner = text(value).text;
  return Mrkdwn.trusted(inner === '' ? '' : `*${inner}*`);
}

/** `_value_`, with the value escaped. */
export function italic(value: MdValue): Mrkdwn {
  const inner = text(value).text;
  return Mrkdwn.trusted(inner === '' ? '' : `_${inner}_`);
}

/** Inline code: mrkdwn styles do not apply inside, and a backtick in the value cannot close it. */
export function code(value: string | number): Mrkdwn {
  const inner = escapeMrkdwn(String(value));
  return Mrkdwn.trusted(inner === '' ? '' : `\`${inner}\``);
}

/**
 * A fenced code block of several lines. Entities are still required inside a block; a backtick in a
 * line is replaced so no line can close the fence early.
 */
export function codeBlock(lines: readonly string[]): Mrkdwn {
  const body = lines.map((line) => escapeEntities(oneLine(line).replace(/`/g, BACKTICK))).join('\n');
  return Mrkdwn.trusted(`\`\`\`\n${body}\n\`\`\``);
}

// Slack user ids start with U (or W on Enterprise Grid), user-group ids with S, channel ids with
// C, G or D; all upper-case alphanumerics. Anything else is refused rather than sent.
const USER_ID = /^[UW][A-Z0-9]{2,30}$/;
const USERGROUP_ID = /^S[A-Z0-9]{2,30}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,30}$/;

/** True when `id` looks like a Slack user id (`U…`/`W…`). */
export function isSlackUserId(id: string): boolean {
  return USER_ID.test(id);
}

/** True when `id` looks like a Slack user group id (`S…`). */
export function isSlackUsergroupId(id: string): boolean {
  return USERGROUP_ID.test(id);
}

/** `<@U…>` for a valid user id, `null` otherwise ("Formatting message text", Mentioning users). */
export function mentionUser(userId: string | null | undefined): Mrkdwn | null {
  return userId && USER_ID.test(userId) ? Mrkdwn.trusted(`<@${userId}>`) : null;
}

/** `<!subteam^S…>` for a valid user group id, `null` otherwise ("Formatting message text", Mentioning groups). */
export function mentionUsergroup(groupId: string | null | undefined): Mrkdwn | null {
  return groupId && USERGROUP_ID.test(groupId) ? Mrkdwn.trusted(`<!subteam^${groupId}>`) : null;
}

/** `<#C…>` for a valid channel id, `null` otherwise. */
export function mentionChannel(channelId: string | null | undefined): Mrkdwn | null {
  return channelId && CHANNEL_ID.test(channelId) ? Mrkdwn.trusted(`<#${channelId}>`) : null;
}

/**
 * `<url|label>` for an https URL we obtained from Slack itself (a permalink); `null` for anything
 * else. The label is escaped; `|` and `>` would end the link, so they are refused in the URL.
 */
export function link(url: string, label: string): Mrkdwn | null {
  if (!/^https:\/\/[^\s<>|]+$/.test(url)) return null;
  return Mrkdwn.trusted(`<${url.replace(/&/g, '&amp;')}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`);
}

/*
 * plain_text objects (headers, buttons, confirm dialogs) show text as is: no mention or link is
 * parsed there. `<` and `>` are still swapped for look-alikes so that neither a reader nor a test
 * can mistake `‹!channel›` for a live broadcast, and broadcasts get the word joiner.
 */
/** One user-controlled string for a plain_text object. */
export function plain(value: string): string {
  return oneLine(value)
    .replace(/</g, '\u2039')
    .replace(/>/g, '\u203a')
    .replace(BROADCAST_WORDS, `@${WORD_JOINER}$1`);
}
