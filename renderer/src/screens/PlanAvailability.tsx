import type { ReactNode } from 'react';
import type { CategoryAvailability, PlanAvailability as Availability } from '../../../core/planning/plan-api';

type Holding = CategoryAvailability['outGigs'][number];

const units = (n: number): string => `${n} unit${n === 1 ? '' : 's'}`;

/** One gig holding some of a category: "Main Stage Day 2 · GIG-0042", when, and the items or units. */
function HoldingLine({ holding }: { holding: Holding }) {
  return (
    <li className="holding" data-testid="holding">
      <strong>{holding.gig}</strong>
      {holding.when !== null && <span className="holding-when">{holding.when}</span>}
      {holding.units > 0 && <span className="muted">{units(holding.units)}</span>}
      {holding.items.length > 0 && (
        <ul className="holding-items">
          {holding.items.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      )}
    </li>
  );
}

function Holdings({ title, holdings }: { title: string; holdings: readonly Holding[] }) {
  if (holdings.length === 0) return null;
  return (
    <>
      <p className="holding-title">{title}</p>
      <ul className="holdings">
        {holdings.map((h) => (
          <HoldingLine key={h.gigId} holding={h} />
        ))}
      </ul>
    </>
  );
}

function Items({ title, items }: { title: string; items: readonly string[] }) {
  if (items.length === 0) return null;
  return (
    <>
      <p className="holding-title">{title}</p>
      <ul className="holding-items">
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </>
  );
}

/** A figure that opens into what is behind it; a zero stays a plain figure. */
function Figure({ label, value, testId, children }: { label: string; value: number; testId: string; children?: ReactNode }) {
  if (value === 0 || children === undefined)
    return (
      <div className="figure" data-testid={testId}>
        <span className="figure-label">{label}</span> <strong>{value}</strong>
      </div>
    );
  return (
    <details className="figure" data-testid={testId}>
      <summary>
        <span className="figure-label">{label}</span> <strong>{value}</strong>
      </summary>
      <div className="figure-behind">{children}</div>
    </details>
  );
}

function Category({ c }: { c: CategoryAvailability }) {
  return (
    <section className={`avail-category${c.shortage > 0 ? ' is-short' : ''}`} data-testid="avail-category" data-category={c.category}>
      <h4>
        <span>{c.category}</span>
        {c.shortage > 0 ? <span className="short-words">short by {c.shortage}</span> : <span className="note-ok">enough</span>}
      </h4>
      <div className="figures">
        <Figure label="Needed" value={c.demand} testId="figure-demand" />
        <Figure label="Free" value={c.available} testId="figure-available" />
        <Figure label="Owned" value={c.owned} testId="figure-owned" />
        <Figure label="Planned elsewhere" value={c.planned} testId="figure-planned">
          <Holdings title="Planned on gigs at the same time" holdings={c.plannedGigs} />
        </Figure>
        <Figure label="Out" value={c.out} testId="figure-out">
          <Holdings title="Out, not back in time" holdings={c.outGigs} />
        </Figure>
        <Figure label="In maintenance" value={c.maintenance} testId="figure-maintenance">
          <Items title="In maintenance or quarantine" items={c.maintenanceItems} />
        </Figure>
      </div>
      {c.shortage > 0 && (
        <details className="shortage" data-testid="shortage">
          <summary>
            Short by {c.shortage}: {Math.max(c.available, 0)} free of {c.owned} for {c.demand} needed — why
          </summary>
          <div className="figure-behind">
            <Holdings title="Planned on gigs at the same time" holdings={c.plannedGigs} />
            <Holdings title="Out, not back in time" holdings={c.outGigs} />
            <Items title="In maintenance or quarantine" items={c.maintenanceItems} />
            {c.plannedGigs.length === 0 && c.outGigs.length === 0 && c.maintenanceItems.length === 0 && (
              <p className="muted">This gig needs more than the company owns.</p>
            )}
          </div>
        </details>
      )}
    </section>
  );
}

/** Overdue returns: gear out past its gig's end and return buffer, by gig. */
export function OverdueReturns({ overdue }: { overdue: Availability['overdue'] }) {
  if (overdue.length === 0) return null;
  return (
    <section className="overdue" aria-label="Overdue returns" data-testid="overdue">
      <h3>Overdue returns</h3>
      <ul className="holdings">
        {overdue.map((h) => (
          <HoldingLine key={h.gigId} holding={h} />
        ))}
      </ul>
    </section>
  );
}

/** What is free for the gig, per category it needs, each number opening into the gigs and items behind it. */
export function PlanAvailability({ availability }: { availability: Availability }) {
  const { window, buffers, categories, overdue } = availability;
  return (
    <>
      <p className="muted avail-window">
        {window === null ? 'No dates yet: everything out counts as away.' : <>Needs its gear {window}</>}
        <br />
        {buffers.prepHours} h to prepare before, {buffers.returnHours} h to return after.
      </p>
      {categories.length === 0 ? (
        <p className="muted">Nothing planned yet, so nothing to check.</p>
      ) : (
        categories.map((c) => <Category key={c.category} c={c} />)
      )}
      <OverdueReturns overdue={overdue} />
    </>
  );
}
