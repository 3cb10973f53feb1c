import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { StationReturn } from '../../../core/station-api';
import type { GigStatus } from '../../../core/station-views';
import { ancestry, visibleGigRows } from '../../../core/views/gig-tree';
import { errorText, type StationLists } from '../station-data';
import { Time } from '../Time';
import { useVirtualRows } from '../virtual';
import { KeepOnDevice } from './DeviceScope';
import { MovementsExport } from './MovementsExport';
import { OverdueList } from './OverdueList';
import { OverdueReturns } from './PlanAvailability';
import type { PlanTarget } from './PlanScreen';
import { useMayPlan, useSelectedPlan } from './useGigPlanSummary';

const ROW_HEIGHT = 56;

/** The gig hierarchy as a virtualized tree: expand/collapse, roll-ups, search, breadcrumb, status. */
export interface GigFocus {
  gigId: string;
  /** A new request each time (the same gig may be asked for twice). */
  seq: number;
}

export function GigsScreen({
  lists,
  focus = null,
  onPlan,
}: {
  lists: StationLists;
  focus?: GigFocus | null;
  /** Opens the Plan screen on a gig, or on a new gig (at the top or under one). */
  onPlan?: (target: PlanTarget) => void;
}) {
  const { tree } = lists;
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [shown, setShown] = useState<GigFocus | null>(null);
  // A gig asked for from outside (a tapped notification): select it and open the path to it.
  if (focus !== null && focus !== shown && tree.byId.has(focus.gigId)) {
    setShown(focus);
    setSelected(focus.gigId);
    setQuery('');
    setExpanded(
      (set) =>
        new Set([
          ...set,
          ...ancestry(tree, focus.gigId)
            .slice(0, -1)
            .map((g) => g.id),
        ]),
    );
  }
  const rows = useMemo(() => visibleGigRows(tree, expanded, query), [tree, expanded, query]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualRows(rows.length, scroller, ROW_HEIGHT, 8);
  useEffect(() => {
    const at = shown === null ? -1 : rows.findIndex((r) => r.gig.id === shown.gigId);
    if (at >= 0) virtualizer.scrollToIndex(at, { align: 'center' });
    // Only when a new focus arrives: the operator's own scrolling must not be undone.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shown]);

  const toggle = (id: string): void =>
    setExpanded((set) => {
      const next = new Set(set);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const select = (index: number): void => {
    const row = rows[Math.max(0, Math.min(rows.length - 1, index))];
    if (row === undefined) return;
    setSelected(row.gig.id);
    virtualizer.scrollToIndex(rows.indexOf(row), { align: 'auto' });
  };

  const onKey = (event: KeyboardEvent): void => {
    const at = rows.findIndex((r) => r.gig.id === selected);
    const row = rows[at];
    if (event.key === 'ArrowDown') select(at + 1);
    else if (event.key === 'ArrowUp') select(at - 1);
    else if (row !== undefined && (event.key === 'ArrowRight' || event.key === 'ArrowLeft' || event.key === 'Enter')) {
      const open = event.key === 'ArrowRight' ? true : event.key === 'ArrowLeft' ? false : !row.expanded;
      if (row.hasChildren && open !== row.expanded) toggle(row.gig.id);
      else if (event.key === 'ArrowLeft' && row.gig.parentId !== null) setSelected(row.gig.parentId);
    } else return;
    event.preventDefault();
  };

  const gig = selected === null ? undefined : tree.byId.get(selected);
  const rollup = gig === undefined ? undefined : tree.rollup.get(gig.id);
  // Only the changes the signed-in role may make (a station gets none): core/sync/roles.ts decides.
  const [answer, setAnswer] = useState<{ key: string; value: StationReturn<'getGigActions'> } | null>(null);
  const actionsKey = gig === undefined ? null : `${gig.id}:${gig.status}:${gig.version}`;
  // An answer for another gig (or an older status) is not shown.
  const actions = answer !== null && answer.key === actionsKey ? answer.value : null;
  useEffect(() => {
    if (gig === undefined || actionsKey === null) return;
    let live = true;
    window.station.getGigActions({ gigId: gig.id }).then(
      (value) => live && setAnswer({ key: actionsKey, value }),
      (e: unknown) => live && setAnswer({ key: actionsKey, value: { statuses: [], note: errorText(e) } }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- asked again when the gig, its status or version changes
  }, [actionsKey]);

  // Planning is offered to the roles that plan (core decides, per gig): the selected gig's plan says.
  const mayPlan = useMayPlan(tree);
  const selectedPlan = useSelectedPlan(gig?.id ?? null, gig === undefined ? '' : `${gig.version}:${gig.planned}:${gig.assetsOut}`);

  const changeStatus = (status: GigStatus): void => {
    if (gig === undefined) return;
    window.station.setGigStatus({ gigId: gig.id, status }).then(
      () => setMessage(`${gig.name}: ${status} — queued`),
      (e: unknown) => setMessage(errorText(e)),
    );
  };

  return (
    <div className="split">
      <section className="list-pane" aria-label="Gigs">
        <div className="toolbar">
          <input
            type="search"
            aria-label="Search gigs"
            placeholder="Search gigs by name, code or venue"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <span className="count" data-testid="gig-count">
            {lists.loaded ? `${rows.length} shown · ${tree.byId.size} gigs` : 'Loading…'}
          </span>
          {mayPlan === true && onPlan !== undefined && (
            <button type="button" onClick={() => onPlan({ kind: 'new', parentId: null })}>
              New gig
            </button>
          )}
        </div>
        {lists.error !== null && (
          <p role="alert" className="note-error">
            {lists.error}
          </p>
        )}
        <div className="virtual-scroll" ref={scroller} role="tree" aria-label="Gig hierarchy" tabIndex={0} onKeyDown={onKey}>
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index];
              if (row === undefined) return null;
              const r = tree.rollup.get(row.gig.id);
              return (
                <div
                  key={row.gig.id}
                  role="treeitem"
                  aria-level={row.depth + 1}
                  aria-expanded={row.hasChildren ? row.expanded : undefined}
                  aria-selected={row.gig.id === selected}
                  className={`row gig-row${row.gig.id === selected ? ' selected' : ''}${row.match ? ' match' : ''}`}
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT, paddingLeft: `${0.5 + row.depth * 1.5}rem` }}
                  onClick={() => setSelected(row.gig.id)}
                  data-code={row.gig.code}
                >
                  <button
                    type="button"
                    className="twisty"
                    aria-label={row.expanded ? 'Collapse' : 'Expand'}
                    disabled={!row.hasChildren}
                    onClick={() => toggle(row.gig.id)}
                  >
                    {row.hasChildren ? (row.expanded ? '▾' : '▸') : ''}
                  </button>
                  <span className="gig-name">{row.gig.name}</span>
                  <span className={`status status-${row.gig.status}`}>{row.gig.status.replace('_', ' ')}</span>
                  <span className="muted">
                    {row.gig.startsAt === null ? '' : <Time at={row.gig.startsAt} zone={row.gig.timeZone} date />}
                  </span>
                  <span className="counts" title="assets out / planned (whole subtree)">
                    {r?.assetsOut ?? 0}/{r?.planned ?? 0}
                  </span>
                </div>
              );
            })}
          </div>
        </div>
      </section>
      <aside className="detail-pane" aria-label="Gig detail">
        {gig === undefined ? (
          <>
            <p className="muted">Select a gig (arrow keys, Enter to expand).</p>
            <OverdueList />
          </>
        ) : (
          <>
            <nav aria-label="Breadcrumb" className="breadcrumb">
              {ancestry(tree, gig.id).map((step, i, all) => (
                <span key={step.id}>
                  <button type="button" className="link" onClick={() => setSelected(step.id)}>
                    {step.name}
                  </button>
                  {i < all.length - 1 && ' › '}
                </span>
              ))}
            </nav>
            <h2>{gig.name}</h2>
            <dl className="facts">
              <dt>Code</dt>
              <dd>{gig.code}</dd>
              <dt>Status</dt>
              <dd data-testid="gig-status">{gig.status.replace('_', ' ')}</dd>
              <dt>Starts</dt>
              <dd>{gig.startsAt === null ? '—' : <Time at={gig.startsAt} zone={gig.timeZone} date />}</dd>
              <dt>Venue</dt>
              <dd>{gig.venue ?? '—'}</dd>
              <dt>Assets out</dt>
              <dd data-testid="gig-out">
                {gig.assetsOut} here · {rollup?.assetsOut ?? 0} with sub-gigs
              </dd>
              <dt>Planned</dt>
              <dd data-testid="gig-planned">
                {gig.planned} here · {rollup?.planned ?? 0} with sub-gigs
              </dd>
              <dt>Sub-gigs</dt>
              <dd>{(rollup?.gigs ?? 1) - 1}</dd>
            </dl>
            {onPlan !== undefined && (
              <div className="actions">
                <button type="button" className="big" onClick={() => onPlan({ kind: 'gig', gigId: gig.id })}>
                  Plan
                </button>
                {selectedPlan?.canPlan === true && (
                  <button type="button" className="big" onClick={() => onPlan({ kind: 'new', parentId: gig.id })}>
                    Add a set under this gig
                  </button>
                )}
              </div>
            )}
            <div className="actions">
              {(actions?.statuses ?? []).map((status) => (
                <button key={status} type="button" className="big" onClick={() => changeStatus(status)}>
                  Set {status.replace('_', ' ')}
                </button>
              ))}
            </div>
            {actions?.note != null && (
              <p className="muted" data-testid="gig-actions-note">
                {actions.note}
              </p>
            )}
            {message !== null && <p role="status">{message}</p>}
            <KeepOnDevice gig={gig} within={ancestry(tree, gig.id).map((step) => step.id)} />
            {selectedPlan !== null && selectedPlan.gig.id === gig.id && <OverdueReturns overdue={selectedPlan.availability.overdue} />}
            <MovementsExport gigId={gig.id} />
          </>
        )}
      </aside>
    </div>
  );
}
