import { useEffect, useRef, useState } from 'react';
import type { FeedbackView } from '../../../core/station-api';
import type { PickGroup, PickItem, PickLineView, PickListView } from '../../../core/station-views';
import { errorText } from '../station-data';
import { Time } from '../Time';
import { QuantityPad } from './QuantityPad';
import './pick-list.css';

const KIND_WORDS: Record<PickLineView['kind'], string> = { asset: 'Item', case: 'Case', bulk: 'Bulk' };

function scan(code: string): Promise<FeedbackView> {
  return window.station.submitScan({ code, deviceId: 'screen' });
}

function Item({ item, mode }: { item: PickItem; mode: PickListView['mode'] }) {
  return (
    <li className={item.done ? 'pick-item done' : 'pick-item'}>
      <span className="tick" aria-hidden="true">
        {item.done ? '✓' : '○'}
      </span>
      <span className="pick-name">{item.name}</span>
      <code>{item.code}</code>
      {!(item.done && mode === 'check_out') && <span className="pick-where">{item.where}</span>}
    </li>
  );
}

function Line({ line, mode, onCount }: { line: PickLineView; mode: PickListView['mode']; onCount: (line: PickLineView) => void }) {
  const done = line.planned > 0 && line.missing === 0;
  const unit = line.unit === null ? '' : ` ${line.unit}`;
  const numbers = (
    <span className="pick-numbers">
      <strong>
        {line.scanned}/{line.planned}
        {unit}
      </strong>
      {line.missing > 0 && (
        <span className="pick-missing">{mode === 'check_in' ? `${line.missing} still out` : `${line.missing} missing`}</span>
      )}
    </span>
  );
  const head = (
    <>
      <span className={`pick-kind kind-${line.kind}`}>{KIND_WORDS[line.kind]}</span>
      <span className="pick-name">{line.name}</span>
      {line.code !== '' && <code>{line.code}</code>}
      {numbers}
    </>
  );
  return (
    <li className={done ? 'pick-line done' : 'pick-line'} data-testid="pick-line" data-kind={line.kind} data-code={line.code}>
      {line.kind === 'case' ? (
        <details>
          <summary>{head}</summary>
          <ul className="pick-contents">
            {line.contents.map((item) => (
              <Item key={item.id} item={item} mode={mode} />
            ))}
          </ul>
        </details>
      ) : (
        <div className="pick-row">{head}</div>
      )}
      {line.where !== null && !done && <p className="pick-where">{line.where}</p>}
      {line.kind === 'bulk' && line.code !== '' && (
        <button type="button" className="pick-count" onClick={() => onCount(line)}>
          Count {mode === 'check_in' ? 'back' : 'out'}…
        </button>
      )}
      {line.kind === 'bulk' && line.contents.length > 0 && (
        <p className="muted pick-where">counted here: {line.contents.map((c) => `${c.name} ${c.code}`).join(', ')}</p>
      )}
    </li>
  );
}

function Group({
  group,
  mode,
  titled,
  onCount,
}: {
  group: PickGroup;
  mode: PickListView['mode'];
  titled: boolean;
  onCount: (line: PickLineView) => void;
}) {
  return (
    <section className="pick-group" aria-label={group.name} data-testid="pick-group">
      {titled && (
        <h3>
          <span>{group.name}</span>
          {group.startsAt !== null && <Time at={group.startsAt} zone={group.timeZone} date />}
          <span className="muted">
            {group.counts.scanned}/{group.counts.planned}
          </span>
        </h3>
      )}
      {group.lines.length === 0 && group.extras.length === 0 && (
        <p className="muted">{mode === 'check_in' ? 'Nothing out to this gig.' : 'Nothing planned for this gig itself.'}</p>
      )}
      <ul className="pick-lines">
        {group.lines.map((line) => (
          <Line key={line.key} line={line} mode={mode} onCount={onCount} />
        ))}
      </ul>
      {group.extras.length > 0 && (
        <>
          <h4 className="pick-extra-title">Extra — out to this gig, not on its pick list</h4>
          <ul className="pick-lines pick-extras" data-testid="pick-extras">
            {group.extras.map((extra) => (
              <li key={extra.id} className="pick-item extra">
                <span className="tick" aria-hidden="true">
                  +
                </span>
                <span className="pick-name">{extra.units > 1 ? `${extra.units} × ${extra.name}` : extra.name}</span>
                <code>{extra.code}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

type Counting = { title: string; hint: string | null; code: string; scanned: boolean };

/**
 * The Scan screen's pick list, line by line: items, cases (open one for its contents), bulk lines
 * in units with a keypad to count them, where each missing thing is now, and what is out beyond
 * the plan. A gig with sets shows one group per set. In check-in it lists what is still out and
 * ticks off what came back. `focus` changes when a gig was tapped in My gigs: the list is brought
 * into view once it has loaded. `feedback` is the last scan: a bulk item scanned without a
 * quantity opens the keypad.
 */
export function PickList({
  list,
  error,
  focus,
  feedback,
}: {
  list: PickListView | null;
  error: string | null;
  focus: number;
  feedback: FeedbackView | null;
}) {
  const panel = useRef<HTMLElement>(null);
  const shownFocus = useRef(0);
  const [tapped, setTapped] = useState<Counting | null>(null);
  const [answered, setAnswered] = useState<FeedbackView | null>(null);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    if (focus === shownFocus.current || list === null) return;
    shownFocus.current = focus;
    panel.current?.scrollIntoView({ block: 'start' });
  }, [focus, list]);

  // A bulk code scanned without a quantity queued nothing and asks for one (core/scan/workflow.ts):
  // the keypad opens for it until it is answered or cancelled.
  const asked = feedback !== null && feedback !== answered && asksQuantity(feedback) ? feedback : null;
  const askedLine =
    asked === null ? undefined : list?.groups.flatMap((g) => g.lines).find((l) => l.kind === 'bulk' && l.code === asked.code);
  const counting: Counting | null =
    tapped ??
    (asked === null
      ? null
      : {
          title: askedLine?.name ?? asked.code,
          hint: askedLine === undefined ? null : hint(askedLine, list?.mode ?? 'check_out'),
          code: asked.code,
          scanned: true,
        });
  const close = (): void => {
    setTapped(null);
    setAnswered(feedback);
  };

  const enter = (quantity: number): void => {
    const what = counting;
    close();
    if (what === null) return;
    // Scanned just now: the quantity completes it. Tapped on the list: quantity, then the item.
    const done = what.scanned ? scan(`CMD:QTY:${quantity}`) : scan(`CMD:QTY:${quantity}`).then(() => scan(what.code));
    done.then(
      () => setFailed(null),
      (e: unknown) => setFailed(errorText(e)),
    );
  };

  if (list === null && error === null) return null;
  const mode = list?.mode ?? 'check_out';
  return (
    <section
      className="pick-list-panel"
      aria-label={mode === 'check_in' ? 'Expected back' : 'Pick list'}
      ref={panel}
      data-testid="pick-list"
    >
      <h2>{mode === 'check_in' ? 'Expected back' : 'Pick list'}</h2>
      {error !== null && <p role="alert">{error}</p>}
      {failed !== null && <p role="alert">{failed}</p>}
      {list?.groups.map((group) => (
        <Group
          key={group.gigId}
          group={group}
          mode={mode}
          titled={list.groups.length > 1}
          onCount={(line) => setTapped(countLine(line, mode))}
        />
      ))}
      {counting !== null && <QuantityPad title={counting.title} hint={counting.hint} onEnter={enter} onCancel={close} />}
    </section>
  );
}

function asksQuantity(feedback: FeedbackView): boolean {
  return feedback.awaiting === 'quantity';
}

function hint(line: PickLineView, mode: PickListView['mode']): string {
  const unit = line.unit ?? 'pcs';
  return mode === 'check_in' ? `${line.missing} ${unit} still out` : `${line.scanned} of ${line.planned} ${unit} out`;
}

function countLine(line: PickLineView, mode: PickListView['mode']): Counting {
  return { title: line.name, hint: hint(line, mode), code: line.code, scanned: false };
}
