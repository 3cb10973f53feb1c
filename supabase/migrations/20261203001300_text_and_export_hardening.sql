-- Text a person would never type, from the outside tester's pass over assets.update and the
-- movements export (issue 18). A bidi embedding, override or isolate (U+202A–U+202E,
-- U+2066–U+2069) makes a one-line name read as another item and a note say the opposite, on every
-- screen and in the exported CSV ("Trojan Source", CVE-2021-42574); a line or paragraph separator
-- (U+2028, U+2029) breaks a one-line field as \n does. Keyboards do not type either: right-to-left
-- text needs only its marks (U+200E, U+200F, U+061C), which stay allowed, as do zero-width joiners
-- (emoji, Persian) and, in an asset's multi-line notes, U+2028/U+2029.
-- * app.asset_text_problem: …001200's definition; bidi controls refused in name, category and
--   notes, U+2028/U+2029 in name and category.
-- * app.note_problem (a check-in's note, one line, kept on the movement): …001000's definition;
--   bidi controls and U+2028/U+2029 refused.
-- op_stock_write calls both by name: its body is unchanged.

create or replace function app.asset_text_problem(fields jsonb)
returns text
language sql immutable set search_path = ''
as $$
  select coalesce(
    case
      when fields ? 'name' and length(btrim(fields ->> 'name')) not between 1 and 200
        then format('payload.fields.name must be 1–200 characters, got %s', length(btrim(fields ->> 'name')))
      when fields ? 'name' and (fields ->> 'name') ~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
        then 'payload.fields.name: control characters and line breaks are not allowed (one line of text)'
      when fields ? 'name' and (fields ->> 'name') ~ '[\u202a-\u202e\u2066-\u2069]'
        then 'payload.fields.name: bidi embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069) are not allowed'
    end,
    case
      when fields ? 'category' and length(btrim(fields ->> 'category')) not between 1 and 80
        then format('payload.fields.category must be 1–80 characters, got %s', length(btrim(fields ->> 'category')))
      when fields ? 'category' and (fields ->> 'category') ~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
        then 'payload.fields.category: control characters and line breaks are not allowed (one line of text)'
      when fields ? 'category' and (fields ->> 'category') ~ '[\u202a-\u202e\u2066-\u2069]'
        then 'payload.fields.category: bidi embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069) are not allowed'
    end,
    case
      when fields ->> 'notes' is null then null
      when length(fields ->> 'notes') > 10000
        then format('payload.fields.notes must be at most 10000 characters, got %s', length(fields ->> 'notes'))
      when (fields ->> 'notes') ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]'
        then 'payload.fields.notes: control characters are not allowed (line breaks and tabs are)'
      when (fields ->> 'notes') ~ '[\u202a-\u202e\u2066-\u2069]'
        then 'payload.fields.notes: bidi embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069) are not allowed'
    end);
$$;
revoke execute on function app.asset_text_problem(jsonb) from public, anon, authenticated;

create or replace function app.note_problem(note jsonb, path text)
returns text
language sql immutable set search_path = ''
as $$
  select case
    when note is null or note = 'null'::jsonb then null
    when jsonb_typeof(note) <> 'string' or length(note #>> '{}') > 500 then format('%s must be text of at most 500 characters', path)
    when (note #>> '{}') ~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]' then format('%s: control characters are not allowed (a note is one line of text)', path)
    when (note #>> '{}') ~ '[\u202a-\u202e\u2066-\u2069]'
      then format('%s: bidi embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069) are not allowed', path)
  end
$$;
