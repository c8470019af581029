// Splits a migration file into the statements D1 runs one by one (D1's
// prepare takes a single statement). Kept apart from edge/schema.js, which
// imports the .sql files as text modules, so Node tests can use it too.

/**
 * The statements of `text`: `--` comment lines dropped, split at `;` ending
 * a line, except inside a trigger body (`BEGIN` … `END;`).
 */
export function statements(text) {
  const out = [];
  let current = [];
  let inBody = false;
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (!line.trim() || line.trim().startsWith("--")) continue;
    current.push(line);
    if (/\bBEGIN$/i.test(line)) inBody = true;
    const ends = inBody ? /^\s*END;$/i.test(line) : line.endsWith(";");
    if (ends) {
      inBody = false;
      out.push(current.join("\n").replace(/;$/, "").trim());
      current = [];
    }
  }
  if (current.length) out.push(current.join("\n").trim());
  return out;
}

/**
 * Whether an `INSERT OR IGNORE` inserted its row. D1's `meta.changes` also
 * counts the rows a trigger wrote (the report rollups of migration 0002),
 * so "inserted" is "changed anything", never "changed exactly one".
 */
export const inserted = (result) => result.meta.changes > 0;
