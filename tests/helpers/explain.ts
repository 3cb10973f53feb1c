import type pg from 'pg';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** The indexes a statement's plan uses, and the tables it reads sequentially. */
export async function planOf(
  db: pg.Pool | pg.ClientBase,
  sql: string,
  params: unknown[] = [],
): Promise<{ indexes: string[]; seqScans: string[] }> {
  const { rows } = await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`explain (format json) ${sql}`, params);
  const indexes: string[] = [];
  const seqScans: string[] = [];
  const walk = (node: PlanNode): void => {
    if (node['Index Name'] !== undefined) indexes.push(node['Index Name']);
    if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] !== undefined) seqScans.push(node['Relation Name']);
    for (const child of node.Plans ?? []) walk(child);
  };
  const root = rows[0]?.['QUERY PLAN'][0].Plan;
  if (root !== undefined) walk(root);
  return { indexes, seqScans };
}
