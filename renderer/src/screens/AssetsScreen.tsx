import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { AuditPlace } from '../../../core/audit/stock-take';
import { ASSET_SORTS, type AssetFilter, type AssetSort } from '../../../core/views/asset-index';
import type { StationLists } from '../station-data';
import { useVirtualRows } from '../virtual';
import { AssetDetail } from './AssetDetail';

const ROW_HEIGHT = 48;

/** Every asset on the station, virtualized: search as you type, filters, sort, and a detail pane. */
export function AssetsScreen({ lists }: { lists: StationLists }) {
  const index = lists.assets;
  const [filter, setFilter] = useState<AssetFilter>({ query: '', status: null, category: null, location: null, place: null });
  // Warehouses, zones and shelves (issue 21): a place filter over what is there or inside it.
  const [places, setPlaces] = useState<readonly AuditPlace[]>([]);
  useEffect(() => {
    window.station.listPlaces().then(setPlaces, () => setPlaces([]));
  }, []);
  const [sort, setSort] = useState<AssetSort>('serial');
  const [selected, setSelected] = useState<string | null>(null);
  // Thousands of gigs can hold assets: their options are built when the menu is first used, not on mount.
  const [locationMenu, setLocationMenu] = useState(false);
  const rows = useMemo(() => index.query(filter, sort), [index, filter, sort]);
  const facets = useMemo(() => index.facets(), [index]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualRows(rows.length, scroller, ROW_HEIGHT, 6);

  const set = (patch: Partial<AssetFilter>): void => setFilter((f) => ({ ...f, ...patch }));
  const onKey = (event: KeyboardEvent): void => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    const at = rows.findIndex((r) => r.asset.id === selected);
    const next = Math.max(0, Math.min(rows.length - 1, at + (event.key === 'ArrowDown' ? 1 : -1)));
    const row = rows[next];
    if (row === undefined) return;
    setSelected(row.asset.id);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };
  const chosen = selected === null ? undefined : index.entries.find((e) => e.asset.id === selected);

  return (
    <div className="split">
      <section className="list-pane" aria-label="Assets">
        <div className="toolbar">
          <input
            type="search"
            aria-label="Search assets"
            placeholder="Search serial, barcode, name, shelf"
            value={filter.query}
            onChange={(e) => set({ query: e.target.value })}
          />
          <select
            aria-label="Status"
            value={filter.status ?? ''}
            onChange={(e) => set({ status: e.target.value === '' ? null : e.target.value })}
          >
            <option value="">Any status</option>
            {facets.statuses.map(([status, count]) => (
              <option key={status} value={status}>
                {status.replace('_', ' ')} ({count})
              </option>
            ))}
          </select>
          <select
            aria-label="Category"
            value={filter.category ?? ''}
            onChange={(e) => set({ category: e.target.value === '' ? null : e.target.value })}
          >
            <option value="">Any category</option>
            {facets.categories.map(([category, count]) => (
              <option key={category} value={category}>
                {category} ({count})
              </option>
            ))}
          </select>
          <select
            aria-label="Location"
            value={filter.location ?? ''}
            onFocus={() => setLocationMenu(true)}
            onPointerDown={() => setLocationMenu(true)}
            onChange={(e) => set({ location: e.target.value === '' ? null : e.target.value })}
          >
            <option value="">Anywhere</option>
            {(locationMenu ? facets.locations : facets.locations.filter(([id]) => id === filter.location)).map(([id, label, count]) => (
              <option key={id} value={id}>
                {label} ({count})
              </option>
            ))}
          </select>
          {places.length > 0 && (
            <select
              aria-label="Place"
              value={filter.place ?? ''}
              onChange={(e) => set({ place: e.target.value === '' ? null : e.target.value })}
            >
              <option value="">Any place</option>
              {places.map((p) => (
                <option key={p.id} value={p.id}>
                  {`${'\u2003'.repeat(p.depth)}${p.name} (${p.code}) (${facets.places.get(p.id) ?? 0})`}
                </option>
              ))}
            </select>
          )}
          <select aria-label="Sort by" value={sort} onChange={(e) => setSort(e.target.value as AssetSort)}>
            {ASSET_SORTS.map((s) => (
              <option key={s} value={s}>
                Sort: {s}
              </option>
            ))}
          </select>
          <span className="count" data-testid="asset-count">
            {lists.loaded ? `${rows.length} of ${index.size}` : 'Loading…'}
          </span>
        </div>
        {lists.error !== null && (
          <p role="alert" className="note-error">
            {lists.error}
          </p>
        )}
        <div className="row asset-row header" aria-hidden="true">
          <span>Serial</span>
          <span>Name</span>
          <span>Category</span>
          <span>Status</span>
          <span>Location</span>
        </div>
        <div
          className="virtual-scroll"
          ref={scroller}
          role="listbox"
          aria-label="Asset list"
          tabIndex={0}
          onKeyDown={onKey}
          data-testid="asset-list"
        >
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const entry = rows[item.index];
              if (entry === undefined) return null;
              const { asset } = entry;
              return (
                <div
                  key={asset.id}
                  role="option"
                  aria-selected={asset.id === selected}
                  className={`row asset-row${asset.id === selected ? ' selected' : ''}`}
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                  onClick={() => setSelected(asset.id)}
                  data-serial={asset.serial}
                >
                  <span className="mono">{asset.serial}</span>
                  <span>{asset.name}</span>
                  <span className="muted">{asset.category}</span>
                  <span className={`status status-${asset.status}`}>{asset.status.replace('_', ' ')}</span>
                  <span className="muted">{entry.locationLabel}</span>
                </div>
              );
            })}
          </div>
        </div>
      </section>
      <aside className="detail-pane" aria-label="Asset detail">
        {chosen === undefined ? (
          <p className="muted">Select an asset to see its history.</p>
        ) : (
          <AssetDetail key={`${chosen.asset.id}:${chosen.asset.status}:${chosen.asset.gigId ?? ''}`} entry={chosen} />
        )}
      </aside>
    </div>
  );
}
