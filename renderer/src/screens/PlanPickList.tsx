import { useCallback, useId, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import type { GigPlan, PlanLine } from '../../../core/planning/plan-api';
import type { GigListItem } from '../../../core/station-views';
import type { AssetIndex } from '../../../core/views/asset-index';
import type { GigTree } from '../../../core/views/gig-tree';
import { GigPicker } from './GigPicker';
import type { PlanState } from './usePlan';

const KIND_WORDS: Record<PlanLine['kind'], string> = { asset: 'Item', case: 'Case', bulk: 'Quantity' };
const RESULTS = 12;

/** "waiting to sync": changed here, not yet accepted by the server — not a failure, never red. */
export function Waiting({ waiting }: { waiting: boolean }) {
  return waiting ? <span className="waiting">waiting to sync</span> : null;
}

function lineWords(line: PlanLine): string {
  return line.code === null ? line.title : `${line.title} · ${line.code}`;
}

function QuantityEditor({ line, edit }: { line: PlanLine; edit: PlanState['editPlan'] }) {
  const [value, setValue] = useState(String(line.quantity ?? 1));
  const id = useId();
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const quantity = Number(value);
    if (quantity === line.quantity) return;
    void edit({ kind: 'set_quantity', lineId: line.id, quantity }, `${line.title}: ${quantity} planned`);
  };
  return (
    <form className="line-quantity" onSubmit={submit}>
      <label htmlFor={id} className="visually-hidden">
        How many {line.title}
      </label>
      <input id={id} type="number" inputMode="numeric" min={1} max={100_000} value={value} onChange={(e) => setValue(e.target.value)} />
      <button type="submit" disabled={Number(value) === line.quantity}>
        Set
      </button>
    </form>
  );
}

function LineNotes({ line, edit }: { line: PlanLine; edit: PlanState['editPlan'] }) {
  const [notes, setNotes] = useState(line.notes ?? '');
  return (
    <details className="line-notes">
      <summary>{line.notes === null ? 'Add a note' : `Note: ${line.notes}`}</summary>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void edit({ kind: 'set_line_notes', lineId: line.id, notes: notes.trim() || null }, `${line.title}: note saved`);
        }}
      >
        <input aria-label={`Note for ${line.title}`} value={notes} maxLength={2000} onChange={(e) => setNotes(e.target.value)} />
        <button type="submit">Save note</button>
      </form>
    </details>
  );
}

function Line({ line, canPlan, edit }: { line: PlanLine; canPlan: boolean; edit: PlanState['editPlan'] }) {
  return (
    <li className={`plan-line${line.problem === null ? '' : ' has-problem'}`} data-testid="plan-line" data-code={line.code ?? line.title}>
      <div className="plan-line-head">
        <span className={`plan-kind kind-${line.kind}`}>{KIND_WORDS[line.kind]}</span>
        <span className="plan-line-title">
          <strong>{line.title}</strong>
          {line.code !== null && <code>{line.code}</code>}
        </span>
        {line.kind === 'case' && line.quantity !== null && (
          <span className="muted">
            {line.quantity} item{line.quantity === 1 ? '' : 's'}
          </span>
        )}
        {line.kind === 'bulk' && !canPlan && <strong className="counts">{line.quantity}</strong>}
        <Waiting waiting={line.waiting} />
        {line.overbookedOnPurpose && <span className="overbooked">overbooked on purpose</span>}
      </div>
      {line.problem !== null && (
        <p className="plan-problem" data-testid="line-problem">
          {line.problem}
        </p>
      )}
      {!canPlan && line.notes !== null && <p className="muted">Note: {line.notes}</p>}
      {canPlan && (
        <div className="plan-line-edit">
          {line.kind === 'bulk' && <QuantityEditor key={line.quantity} line={line} edit={edit} />}
          <LineNotes key={line.notes} line={line} edit={edit} />
          <button
            type="button"
            className="danger"
            aria-label={`Remove ${lineWords(line)}`}
            onClick={() => void edit({ kind: 'remove_line', lineId: line.id }, `${lineWords(line)} removed from the pick list`)}
          >
            Remove
          </button>
        </div>
      )}
    </li>
  );
}

/** Items and cases found by name, serial or barcode; an item in a case also offers its case. */
function AddBySearch({ gigId, assets, edit }: { gigId: string; assets: AssetIndex; edit: PlanState['editPlan'] }) {
  const [query, setQuery] = useState('');
  const caseSizes = useMemo(() => {
    const sizes = new Map<string, number>();
    for (const { asset } of assets.entries) if (asset.caseId !== null) sizes.set(asset.caseId, (sizes.get(asset.caseId) ?? 0) + 1);
    return sizes;
  }, [assets]);
  const found = useMemo(
    () => (query.trim().length < 2 ? [] : assets.query({ query, status: null, category: null, location: null }, 'name')),
    [assets, query],
  );
  return (
    <div className="plan-add" role="group" aria-label="Add items">
      <input
        type="search"
        aria-label="Find items to add"
        placeholder="Name, serial or barcode"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {found.length > 0 && (
        <ul className="picker-results" aria-label="Items found" data-testid="item-results">
          {found.slice(0, RESULTS).map(({ asset, locationLabel }) => (
            <li key={asset.id} className="item-result" data-serial={asset.serial}>
              <span className="item-result-what">
                <strong>{asset.name}</strong>
                <span className="muted">
                  <code>{asset.serial}</code> · {asset.category} · {locationLabel}
                </span>
              </span>
              <span className="actions">
                <button
                  type="button"
                  aria-label={`Add ${asset.name} · ${asset.serial}`}
                  onClick={() => void edit({ kind: 'add_asset', gigId, assetId: asset.id }, `${asset.name} · ${asset.serial} added`)}
                >
                  Add
                </button>
                {asset.caseId !== null && (
                  <button
                    type="button"
                    onClick={() =>
                      asset.caseId !== null &&
                      void edit({ kind: 'add_case', gigId, caseId: asset.caseId }, `The case holding ${asset.serial} added`)
                    }
                  >
                    Add its case ({caseSizes.get(asset.caseId) ?? 0} items)
                  </button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      {found.length > RESULTS && (
        <p className="muted small-text">{found.length - RESULTS} more match — type more of the name or the serial</p>
      )}
      {query.trim().length >= 2 && found.length === 0 && (
        <p className="muted small-text">Nothing on this station matches “{query.trim()}”.</p>
      )}
    </div>
  );
}

function AddQuantity({ gigId, categories, edit }: { gigId: string; categories: readonly string[]; edit: PlanState['editPlan'] }) {
  const [category, setCategory] = useState('');
  const [quantity, setQuantity] = useState('1');
  const listId = useId();
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const n = Number(quantity);
    void edit({ kind: 'add_quantity', gigId, category: category.trim(), quantity: n }, `${n} × ${category.trim()} added`).then(
      (queued) => queued && setCategory(''),
    );
  };
  return (
    <form className="plan-add-quantity" aria-label="Add a quantity" onSubmit={submit}>
      <label>
        Category
        <input list={listId} value={category} required maxLength={80} onChange={(e) => setCategory(e.target.value)} />
      </label>
      <datalist id={listId}>
        {categories.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      <label>
        How many
        <input type="number" inputMode="numeric" min={1} max={100_000} value={quantity} onChange={(e) => setQuantity(e.target.value)} />
      </label>
      <button type="submit" className="big">
        Add quantity
      </button>
    </form>
  );
}

function CopyPlan({ gigId, tree, edit }: { gigId: string; tree: GigTree; edit: PlanState['editPlan'] }) {
  const [from, setFrom] = useState<GigListItem | null>(null);
  const exclude = useCallback((gig: GigListItem) => gig.id === gigId, [gigId]);
  return (
    <div className="plan-copy" role="group" aria-label="Copy a pick list">
      <GigPicker tree={tree} label="Copy the pick list of" chosen={from} onChoose={setFrom} exclude={exclude} testId="copy-picker" />
      <button
        type="button"
        disabled={from === null}
        onClick={() =>
          from !== null &&
          void edit({ kind: 'copy_plan', gigId, fromGigId: from.id }, `Copied the pick list of ${from.name}`).then(
            (queued) => queued && setFrom(null),
          )
        }
      >
        Copy its lines here
      </button>
    </div>
  );
}

/** The gig's own pick list: what it plans, why some of it is not free, and the ways to add to it. */
export function PlanPickList({
  plan,
  assets,
  tree,
  edit,
  codeEntry,
}: {
  plan: GigPlan;
  assets: AssetIndex;
  tree: GigTree;
  edit: PlanState['editPlan'];
  /** The field that takes a typed or scanned code while scans add to this pick list (absent: no plan scans). */
  codeEntry?: ReactNode | undefined;
}) {
  const categories = useMemo(() => {
    const all = new Set(assets.facets().categories.map(([c]) => c));
    for (const c of plan.availability.categories) all.add(c.category);
    return [...all].sort((a, b) => a.localeCompare(b));
  }, [assets, plan.availability.categories]);
  const gigId = plan.gig.id;
  return (
    <>
      {plan.lines.length === 0 ? (
        <p className="muted">Nothing on this gig’s pick list yet.</p>
      ) : (
        <ul className="plan-lines" data-testid="plan-lines">
          {plan.lines.map((line) => (
            <Line key={line.id} line={line} canPlan={plan.canPlan} edit={edit} />
          ))}
        </ul>
      )}
      {plan.canPlan && (
        <>
          <h3>Add to the pick list</h3>
          {codeEntry}
          <AddBySearch gigId={gigId} assets={assets} edit={edit} />
          <AddQuantity gigId={gigId} categories={categories} edit={edit} />
          <CopyPlan gigId={gigId} tree={tree} edit={edit} />
        </>
      )}
    </>
  );
}
