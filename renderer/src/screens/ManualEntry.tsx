import { useState, type FormEvent } from 'react';

/**
 * "Type a code": for a label the scanner cannot read, or a station without one. Submits the code
 * trimmed (nothing for an empty field) and clears the field.
 */
export function ManualEntry({ id, placeholder, onCode }: { id: string; placeholder: string; onCode: (code: string) => void }) {
  const [typed, setTyped] = useState('');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const code = typed.trim();
    if (code === '') return;
    setTyped('');
    onCode(code);
  };
  return (
    <form className="manual-entry" onSubmit={submit}>
      <label htmlFor={id}>Type a code</label>
      <input
        id={id}
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        autoComplete="off"
        spellCheck={false}
        placeholder={placeholder}
      />
      <button type="submit" className="big">
        Enter
      </button>
    </form>
  );
}
