/** Splits a CSV document (quoted fields, "" escapes, line breaks inside quotes) into lines of fields. */
export function parseCsv(text: string): string[][] {
  const lines: string[][] = [];
  let field = "";
  let line: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      line.push(field);
      field = "";
    } else if (char === "\n") {
      line.push(field);
      lines.push(line);
      line = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || line.length > 0) lines.push([...line, field]);
  return lines;
}
