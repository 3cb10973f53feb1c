import { useState } from 'react';
import './stock-take.css';

/** A pre-printed label's code claimed for a new item: its name and category (the Stock-take and Scan screens). */
export function ClaimForm({
  code,
  onClaim,
  onCancel,
}: {
  code: string;
  onClaim: (name: string, category: string) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState('');
  const [category, setCategory] = useState('');
  return (
    <form
      className="claim-form"
      aria-label={`Claim ${code}`}
      onSubmit={(event) => {
        event.preventDefault();
        onClaim(name.trim(), category.trim());
      }}
    >
      <label htmlFor={`claim-name-${code}`}>Name</label>
      <input
        id={`claim-name-${code}`}
        value={name}
        maxLength={200}
        onChange={(e) => setName(e.target.value)}
        required
        placeholder="e.g. Radial J48 DI"
      />
      <label htmlFor={`claim-category-${code}`}>Category</label>
      <input
        id={`claim-category-${code}`}
        value={category}
        maxLength={80}
        onChange={(e) => setCategory(e.target.value)}
        required
        placeholder="e.g. Audio"
      />
      <button type="submit">Claim</button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
