// `uns-meta watch`: one catalog change as one line of text or JSON (pure; the rows come from src/watch/sql/).
// Kinds: created, updated, renamed (an update that moved the UNS path), retired, revived, confirmed (Canary).

export interface VersionRow {
  version_id: string;
  changed_at: Date;
  device: string;
  uns_path: string;
  version_no: number;
  change_kind: string;
  changed_by: string;
  diff: Record<string, unknown>;
}

export interface ConfirmationRow {
  metric_id: string;
  confirmed_at: Date;
  device: string;
  uns_path: string;
  confirmed_version: number;
  outcome: string;
  canary_tag: string | null;
}

export interface Change {
  time: string;
  device: string;
  path: string;
  kind: 'created' | 'updated' | 'renamed' | 'retired' | 'revived' | 'confirmed';
  version: number;
  /** What changed, in words (the text line's last column). */
  what: string;
  changed_by?: string;
  diff?: Record<string, unknown>;
  outcome?: string;
  canary_tag?: string | null;
}

type OldNew = { old?: unknown; new?: unknown };

/** A property value of a diff ({"type", "value"}, docs/sql-api.md#version-diffs) or a field value, as short text. */
function value(v: unknown): string {
  if (v !== null && typeof v === 'object' && 'type' in v) {
    const typed = v as { type: string; value?: unknown; is_null?: boolean };
    if (typed.is_null) return 'null';
    if (typed.type === 'PropertySet') return '{PropertySet}';
    return JSON.stringify(typed.value);
  }
  return JSON.stringify(v ?? null);
}

function describeDiff(kind: Change['kind'], diff: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [field, change] of Object.entries(diff)) {
    if (field === 'properties' || field === 'canary_property_names' || field === 'renamed_to') continue;
    const c = change as OldNew;
    if (field === 'retired_at' && (kind === 'retired' || kind === 'revived')) continue;
    if (field === 'uns_path' && kind === 'renamed') parts.push(`from ${String(c.old)}`);
    else if (kind === 'created') parts.push(`${field} ${value(c.new)}`);
    else parts.push(`${field} ${value(c.old)} → ${value(c.new)}`);
  }
  const props = (diff.properties ?? {}) as { added?: Record<string, unknown>; removed?: Record<string, unknown>; changed?: Record<string, OldNew> };
  for (const [key, c] of Object.entries(props.changed ?? {})) parts.push(`${key} ${value(c.old)} → ${value(c.new)}`);
  for (const [key, v] of Object.entries(props.added ?? {})) parts.push(`+${key} ${value(v)}`);
  for (const [key, v] of Object.entries(props.removed ?? {})) parts.push(`-${key} (was ${value(v)})`);
  for (const [key, c] of Object.entries((diff.canary_property_names ?? {}) as Record<string, OldNew>)) {
    const name = (x: unknown) => (x === null || x === undefined ? 'none' : JSON.stringify((x as { canary_name: string }).canary_name));
    parts.push(`Canary name of ${key} ${name(c.old)} → ${name(c.new)}`);
  }
  if (typeof diff.renamed_to === 'string') parts.push(`renamed to ${diff.renamed_to}`);
  return parts.join('; ');
}

export function versionChange(row: VersionRow): Change {
  const kind: Change['kind'] = row.change_kind === 'updated' && row.diff.uns_path !== undefined ? 'renamed'
    : (row.change_kind as Change['kind']);
  return {
    time: row.changed_at.toISOString(), device: row.device, path: row.uns_path, kind, version: row.version_no,
    what: describeDiff(kind, row.diff), changed_by: row.changed_by, diff: row.diff,
  };
}

export function confirmationChange(row: ConfirmationRow): Change {
  return {
    time: row.confirmed_at.toISOString(), device: row.device, path: row.uns_path, kind: 'confirmed', version: row.confirmed_version,
    what: `v${row.confirmed_version} ${row.outcome}${row.canary_tag ? ` (${row.canary_tag})` : ''}`,
    outcome: row.outcome, canary_tag: row.canary_tag,
  };
}

/** The text line: time, device, path, kind, what changed (version number and who, for versions). */
export function formatLine(c: Change): string {
  const who = c.changed_by !== undefined ? `v${c.version} by ${c.changed_by}${c.what ? `: ${c.what}` : ''}` : c.what;
  return `${c.time}  ${c.device}  ${c.path}  ${c.kind}  ${who}`;
}

/** The --json line: the change as one JSON object (its text summary included as "what"). */
export function formatJson(c: Change): string {
  return JSON.stringify(c);
}
