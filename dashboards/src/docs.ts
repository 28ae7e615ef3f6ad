/**
 * The panel reference of docs/dashboards.md, generated from the boards themselves so it cannot drift: for every
 * board its variables, and for every panel its type, unit, the question it answers (its description) and its
 * InfluxQL. `npm run boards` writes it between the markers; test/boards-fresh.test.ts checks it.
 */
import { BOARDS } from './index.ts';

export const DOCS_FILE = 'docs/dashboards.md';
export const START = '<!-- panels:start (npm run boards writes this part) -->';
export const END = '<!-- panels:end -->';

interface Json { title: string; uid: string; time?: { from: string; to: string }; templating?: { list: { name: string; label?: string; query: string }[] }; panels?: { title: string; type: string; description?: string; repeat?: string; timeShift?: string; fieldConfig?: { defaults?: { unit?: string } }; targets?: { query: string; alias?: string }[] }[] }

/** The generated section, markers included. */
export function panelReference(): string {
  const out: string[] = [START, ''];
  for (const { file, build } of BOARDS) {
    const b = build().build() as unknown as Json;
    out.push(`### ${b.title} — \`dashboards/boards/${file}\` (uid \`${b.uid}\`)`, '');
    out.push(`Default range: \`${b.time?.from}\` … \`${b.time?.to}\`. Variables: ${(b.templating?.list ?? []).map((v) => `\`$${v.name}\` ${v.label ?? ''}`).join(', ')}.`, '');
    out.push('| panel | type | unit | answers |', '|---|---|---|---|');
    for (const p of b.panels ?? []) {
      const extra = [p.repeat ? `one per \`$${p.repeat}\`` : '', p.timeShift ? `shifted ${p.timeShift}` : ''].filter(Boolean).join('; ');
      out.push(`| ${p.title} | ${p.type} | \`${p.fieldConfig?.defaults?.unit ?? ''}\` | ${p.description ?? ''}${extra ? ` (${extra})` : ''} |`);
    }
    out.push('');
    for (const p of b.panels ?? []) {
      out.push(`**${p.title}**`, '', '```sql', ...(p.targets ?? []).map((t) => `${t.query}${t.alias ? `  -- ${t.alias}` : ''}`), '```', '');
    }
  }
  out.push(END);
  return out.join('\n');
}

/** A docs text with its generated section replaced. */
export function withPanelReference(doc: string): string {
  const i = doc.indexOf(START), j = doc.indexOf(END);
  if (i < 0 || j < i) throw new Error(`${DOCS_FILE}: the markers '${START}' and '${END}' are missing`);
  return doc.slice(0, i) + panelReference() + doc.slice(j + END.length);
}
