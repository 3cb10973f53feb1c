import { useEffect, useRef, useState, type FormEvent } from 'react';
import { MAX_QUANTITY, quantityProblem } from '../../../core/scan/barcode';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

/**
 * How many units of a bulk item (cables, ramps, tape): a numeric keypad with keys large enough
 * for gloves, and a field that takes a keyboard too (digits, Backspace, Enter confirms, Escape
 * cancels). A quantity the workflow would refuse (0, over the maximum) is refused here first, in
 * the same words (core/scan/barcode.ts quantityProblem).
 */
export function QuantityPad({
  title,
  hint,
  onEnter,
  onCancel,
}: {
  /** What is counted: "XLR cable 10 m". */
  title: string;
  /** "12 of 20 pcs out", or what is still out on check-in. */
  hint: string | null;
  onEnter: (quantity: number) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);

  const press = (key: string): void => {
    setProblem(null);
    setText((t) => (t.length >= String(MAX_QUANTITY).length ? t : `${t === '0' ? '' : t}${key}`));
    field.current?.focus();
  };
  const enter = (event?: FormEvent): void => {
    event?.preventDefault();
    const why = quantityProblem(text);
    if (why !== null) {
      setProblem(why);
      return;
    }
    onEnter(Number(text));
  };

  return (
    <div className="quantity-pad-backdrop">
      <form
        className="quantity-pad"
        role="dialog"
        aria-modal="true"
        aria-label={`Quantity of ${title}`}
        onSubmit={enter}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
        data-testid="quantity-pad"
      >
        <p className="quantity-title">
          How many <strong>{title}</strong>?
        </p>
        {hint !== null && <p className="muted quantity-hint">{hint}</p>}
        <input
          ref={field}
          className="quantity-value"
          aria-label="Quantity"
          inputMode="numeric"
          autoComplete="off"
          value={text}
          onChange={(e) => {
            setProblem(null);
            setText(e.target.value.replace(/\D/g, '').slice(0, String(MAX_QUANTITY).length));
          }}
          data-testid="quantity-value"
        />
        {problem !== null && (
          <p role="alert" className="note-error">
            {problem}
          </p>
        )}
        <div className="quantity-keys">
          {KEYS.map((key) => (
            <button key={key} type="button" onClick={() => press(key)}>
              {key}
            </button>
          ))}
          <button type="button" onClick={() => setText((t) => t.slice(0, -1))} aria-label="Delete last digit">
            ⌫
          </button>
          <button type="button" onClick={() => press('0')}>
            0
          </button>
          <button type="button" onClick={() => setText('')} aria-label="Clear">
            C
          </button>
        </div>
        <div className="quantity-actions">
          <button type="button" className="big" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="big active" data-testid="quantity-enter">
            Enter
          </button>
        </div>
      </form>
    </div>
  );
}
