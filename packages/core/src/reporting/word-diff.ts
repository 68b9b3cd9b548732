/**
 * A word-level text diff for comparing report versions: the longest common subsequence of tokens (words and
 * the whitespace between them), reported as runs of kept, removed and added text. Reports are short, so the
 * quadratic table is fine; past `maxCells` the changed middle is reported as one removal and one addition
 * rather than taking the memory.
 */

export type DiffOp = { kind: 'same' | 'removed' | 'added'; text: string };

/** Words and whitespace runs, in order; joined they give the text back. */
export function tokenize(text: string): string[] {
  return text.match(/\s+|[^\s]+/g) ?? [];
}

function push(out: DiffOp[], kind: DiffOp['kind'], text: string): void {
  if (text === '') return;
  const last = out[out.length - 1];
  if (last && last.kind === kind) last.text += text;
  else out.push({ kind, text });
}

/**
 * The changes that turn `a` into `b`. Joining the 'same' and 'removed' runs gives `a`; joining 'same' and
 * 'added' gives `b`; adjacent runs of one kind are merged. Within a changed stretch removals come first.
 */
export function diffWords(a: string, b: string, options: { maxCells?: number } = {}): DiffOp[] {
  const maxCells = options.maxCells ?? 4_000_000;
  const x = tokenize(a);
  const y = tokenize(b);
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
    endX--;
    endY--;
  }
  const out: DiffOp[] = [];
  push(out, 'same', x.slice(0, start).join(''));
  const n = endX - start;
  const m = endY - start;
  if (n === 0 || m === 0 || (n + 1) * (m + 1) > maxCells) {
    push(out, 'removed', x.slice(start, endX).join(''));
    push(out, 'added', y.slice(start, endY).join(''));
  } else {
    // lcs[i][j]: the LCS length of x[start+i..endX) and y[start+j..endY), so the walk below goes forwards.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] =
          x[start + i] === y[start + j]
            ? lcs[(i + 1) * w + j + 1]! + 1
            : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    let removed = '';
    let added = '';
    const flush = () => {
      push(out, 'removed', removed);
      push(out, 'added', added);
      removed = '';
      added = '';
    };
    while (i < n && j < m) {
      if (x[start + i] === y[start + j]) {
        flush();
        push(out, 'same', x[start + i]!);
        i++;
        j++;
      } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) {
        removed += x[start + i];
        i++;
      } else {
        added += y[start + j];
        j++;
      }
    }
    while (i < n) removed += x[start + i++];
    while (j < m) added += y[start + j++];
    flush();
  }
  push(out, 'same', x.slice(endX).join(''));
  return out;
}

/** How much changed, for a summary line: words added and removed (whitespace not counted). */
export function diffStats(ops: readonly DiffOp[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const op of ops) {
    const words = tokenize(op.text).filter((t) => !/^\s+$/.test(t)).length;
    if (op.kind === 'added') added += words;
    else if (op.kind === 'removed') removed += words;
  }
  return { added, removed };
}
