import { escapeXml, type Row, svgDocument } from './results.js';

/** One line of a panel: a subject's (or a measure's) value at each store size. */
export interface Series {
  label: string;
  /** Our stores are drawn solid, peers dashed. */
  ours: boolean;
  /** `x`: entries in the store; `y`: ops/s, keys/s or ms. Ascending by `x`. */
  points: { x: number; y: number }[];
}

/** One small log-log chart. */
export interface Panel {
  title: string;
  /** What `y` is: a rate (labelled `6.47k`) or a duration (labelled `35 ms`, `1.2 s`). */
  unit: 'rate' | 'ms';
  series: Series[];
}

const WIDTH = 900;
const PANEL_WIDTH = 435;
const PANEL_HEIGHT = 300;
const GAP = 10;
const HEADER = 40;
const COLOURS = ['#1f4e99', '#d95f02', '#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#a6761d'];

/**
 * The panels of the scale chart from a run's rows: per subject, get / set ops/s of the `scale`
 * suite; `keys()` keys/s; `deleteExpired()` ms; and `deleteAll` ms of the rows that say how
 * many entries they wiped (`metrics.entries`). A panel without a point is left out.
 */
export function scalePanels(rows: readonly Row[]): Panel[] {
  const ok = rows.filter((r) => r.status === 'ok' && r.metrics?.entries !== undefined);
  const scale = ok.filter((r) => r.suite === 'scale');
  const panels: Panel[] = [];
  for (const subject of unique(scale.map((r) => r.subject))) {
    const timed = scale.filter((r) => r.subject === subject && r.timing !== undefined);
    const inFlight = unique(timed.map((r) => `${r.inFlight}`)).join(', ');
    panels.push({
      title: `${subject} get / set, ops/s (${inFlight} in flight)`,
      unit: 'rate',
      series: unique(timed.map(measureOf)).map((measure) => ({
        label: measure,
        ours: timed[0]?.ours ?? true,
        points: points(
          timed.filter((r) => measureOf(r) === measure),
          (r) => r.timing?.opsPerSec,
        ),
      })),
    });
  }
  panels.push(
    bySubject(
      'keys(), keys/s (full iteration)',
      'rate',
      scale,
      'keys',
      (r) => r.metrics?.keysPerSec,
    ),
    bySubject(
      'deleteExpired(), time (half of the entries expired)',
      'ms',
      scale,
      'deleteExpired (half expired)',
      (r) => r.metrics?.durationMs,
    ),
  );
  const wipes = ok.filter((r) => r.suite === 'deleteAll' && r.metrics?.durationMs !== undefined);
  // The same peer (unstorage's redis driver) runs against both servers: one line for each.
  const servers = (subject: string): number =>
    unique(wipes.filter((r) => r.subject === subject).map(serverOf)).length;
  const lineOf = (r: Row): string =>
    servers(r.subject) > 1 ? `${r.subject}, ${serverOf(r)}` : r.subject;
  panels.push({
    title: 'deleteAll(), time (N entries wiped among as many kept)',
    unit: 'ms',
    series: unique(wipes.map(lineOf)).map((name) => {
      const members = wipes.filter((r) => lineOf(r) === name);
      return {
        label: name,
        ours: members[0]?.ours ?? false,
        points: points(members, (r) => r.metrics?.durationMs),
      };
    }),
  });
  return panels.filter((p) => p.series.some((s) => s.points.length > 0));
}

/**
 * The scale curves as a hand-written SVG: one log-log panel per measure (entries on x, the
 * measure on y, gridlines at each decade), lines and labelled points, two panels a row.
 */
export function scaleChart(rows: readonly Row[]): string {
  const panels = scalePanels(rows);
  const parts: string[] = [
    `<text x="${GAP}" y="24" font-size="16" font-weight="bold">Scale curves: cost against entries in the store (log-log; our stores solid, peers dashed)</text>`,
  ];
  if (panels.length === 0) {
    parts.push(
      `<text x="${GAP}" y="${HEADER + 20}" font-size="13">No scale rows in this run.</text>`,
    );
  }
  panels.forEach((panel, i) => {
    const x = GAP + (i % 2) * (PANEL_WIDTH + GAP);
    const y = HEADER + Math.floor(i / 2) * (PANEL_HEIGHT + GAP);
    parts.push(...drawPanel(panel, x, y));
  });
  const height = HEADER + Math.max(1, Math.ceil(panels.length / 2)) * (PANEL_HEIGHT + GAP);
  return svgDocument(WIDTH, height, parts);
}

/** `1k`, `6.47k`, `1M`, `0.25`: three significant digits at most, with a k / M / G suffix. */
export function compact(value: number): string {
  const rounded = Number(value.toPrecision(3));
  for (const [size, suffix] of [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (Math.abs(rounded) >= size) return `${Number((rounded / size).toPrecision(3))}${suffix}`;
  }
  return `${rounded}`;
}

/** A point's or gridline's label: `6.47k` for a rate, `35 ms` / `1.2 s` for a duration. */
function valueLabel(value: number, unit: Panel['unit']): string {
  if (unit === 'rate') return compact(value);
  return value >= 1000 ? `${compact(value / 1000)} s` : `${compact(value)} ms`;
}

/** The decades `[lo, hi]` (powers of ten) that hold every value; at least one decade wide. */
export function decades(values: readonly number[]): [number, number] {
  const logs = values.map((v) => Math.log10(v));
  // A hair of tolerance: 1000 must sit on the 10^3 line, not widen the axis by a decade.
  const lo = Math.floor(Math.min(...logs) + 1e-9);
  const hi = Math.ceil(Math.max(...logs) - 1e-9);
  return [lo, Math.max(hi, lo + 1)];
}

function drawPanel(panel: Panel, px: number, py: number): string[] {
  const out: string[] = [
    `<rect x="${px}" y="${py}" width="${PANEL_WIDTH}" height="${PANEL_HEIGHT}" fill="#ffffff" stroke="#d0d0d0"/>`,
    `<text x="${px + 10}" y="${py + 18}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`,
  ];
  // The legend, wrapped to the panel's width (about 6.5 px a character at 11 px).
  let lx = px + 10;
  let ly = py + 36;
  panel.series.forEach((s, i) => {
    const w = 30 + s.label.length * 6.5;
    if (lx + w > px + PANEL_WIDTH - 10 && lx > px + 10) {
      lx = px + 10;
      ly += 15;
    }
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" ${stroke(s, i)}/>`,
      `<circle cx="${lx + 9}" cy="${ly - 4}" r="3" fill="${colour(i)}"/>`,
      `<text x="${lx + 22}" y="${ly}" font-size="11">${escapeXml(s.label)}</text>`,
    );
    lx += w + 8;
  });
  const left = px + 52;
  const right = px + PANEL_WIDTH - 16;
  const top = ly + 20;
  const bottom = py + PANEL_HEIGHT - 40;
  const all = panel.series.flatMap((s) => s.points);
  const [xLo, xHi] = decades(all.map((p) => p.x));
  const [yLo, yHi] = decades(all.map((p) => p.y));
  const sx = (v: number): number => left + ((Math.log10(v) - xLo) / (xHi - xLo)) * (right - left);
  const sy = (v: number): number => bottom - ((Math.log10(v) - yLo) / (yHi - yLo)) * (bottom - top);

  // Gridlines: faint at 2..9 × 10^d, darker and labelled at each decade.
  for (let d = xLo; d <= xHi; d++) {
    for (let m = 2; m <= 9 && d < xHi; m++)
      out.push(vline(sx(m * 10 ** d), top, bottom, '#f0f0f0'));
    const x = sx(10 ** d);
    out.push(
      vline(x, top, bottom, '#c8c8c8'),
      `<text x="${r(x)}" y="${bottom + 15}" font-size="11" text-anchor="middle">${compact(10 ** d)}</text>`,
    );
  }
  for (let d = yLo; d <= yHi; d++) {
    for (let m = 2; m <= 9 && d < yHi; m++)
      out.push(hline(sy(m * 10 ** d), left, right, '#f0f0f0'));
    const y = sy(10 ** d);
    out.push(
      hline(y, left, right, '#c8c8c8'),
      `<text x="${left - 6}" y="${r(y + 4)}" font-size="11" text-anchor="end">${valueLabel(10 ** d, panel.unit)}</text>`,
    );
  }
  out.push(
    `<rect x="${left}" y="${r(top)}" width="${r(right - left)}" height="${r(bottom - top)}" fill="none" stroke="#888888"/>`,
    `<text x="${r((left + right) / 2)}" y="${py + PANEL_HEIGHT - 8}" font-size="11" text-anchor="middle">entries in the store</text>`,
  );

  panel.series.forEach((s, i) => {
    const xy = s.points.map((p) => `${r(sx(p.x))},${r(sy(p.y))}`).join(' ');
    if (s.points.length > 1) out.push(`<polyline points="${xy}" fill="none" ${stroke(s, i)}/>`);
    for (const p of s.points) {
      out.push(`<circle cx="${r(sx(p.x))}" cy="${r(sy(p.y))}" r="3.5" fill="${colour(i)}"/>`);
    }
  });
  // Point labels, size by size. Two lines at most: above the higher point, below the other
  // (above too near the x axis, whose tick labels are there). More: a column beside the
  // points, top to bottom, pushed apart so that no two overlap.
  for (const size of unique(all.map((p) => `${p.x}`)).map(Number)) {
    const x = sx(size);
    const here = panel.series
      .flatMap((s, i) => s.points.filter((p) => p.x === size).map((p) => ({ i, p, y: sy(p.y) })))
      .sort((a, b) => a.y - b.y);
    const text = (h: (typeof here)[number], ty: number, anchor: string, tx: number): string =>
      `<text x="${r(tx)}" y="${r(ty)}" font-size="10" fill="${colour(h.i)}" stroke="#ffffff" stroke-width="3" paint-order="stroke" text-anchor="${anchor}">${escapeXml(valueLabel(h.p.y, panel.unit))}</text>`;
    if (here.length <= 2) {
      const anchor = x - left < 20 ? 'start' : right - x < 20 ? 'end' : 'middle';
      const tx = anchor === 'start' ? x + 4 : anchor === 'end' ? x - 4 : x;
      here.forEach((h, rank) => {
        out.push(text(h, rank === 0 || h.y + 15 > bottom - 3 ? h.y - 7 : h.y + 15, anchor, tx));
      });
      continue;
    }
    const anchor = right - x < 60 ? 'end' : 'start';
    const tx = anchor === 'end' ? x - 7 : x + 7;
    const ys: number[] = [];
    for (const h of here)
      ys.push(Math.max(h.y + 3.5, (ys.at(-1) ?? Number.NEGATIVE_INFINITY) + 11));
    const overflow = Math.max(0, (ys.at(-1) ?? 0) - (bottom - 2));
    here.forEach((h, k) => {
      out.push(text(h, (ys[k] ?? h.y) - overflow, anchor, tx));
    });
  }
  return out;
}

/** A panel with one line per subject for `measure` of the scale rows. */
function bySubject(
  title: string,
  unit: Panel['unit'],
  rows: readonly Row[],
  measure: string,
  value: (r: Row) => number | undefined,
): Panel {
  const matching = rows.filter((r) => measureOf(r) === measure);
  return {
    title,
    unit,
    series: unique(matching.map((r) => r.subject)).map((subject) => {
      const members = matching.filter((r) => r.subject === subject);
      return { label: subject, ours: members[0]?.ours ?? false, points: points(members, value) };
    }),
  };
}

/** `(entries, value)` of each row that has a positive value (a log axis has no zero). */
function points(rows: readonly Row[], value: (r: Row) => number | undefined): Series['points'] {
  return rows
    .map((r) => ({ x: r.metrics?.entries ?? 0, y: value(r) ?? 0 }))
    .filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.y))
    .sort((a, b) => a.x - b.x);
}

/** `get at 100,000 entries` -> `get` (see `scaleWorkload`). */
function measureOf(row: Row): string {
  return row.workload.replace(/ at [\d,]+ entries$/, '');
}

/** `redis` or `valkey`, from the server version a server row records (`redis-server`). */
function serverOf(row: Row): string {
  const key = Object.keys(row.versions).find((k) => k.endsWith('-server'));
  return key?.replace(/-server$/, '') ?? '?';
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function colour(i: number): string {
  return COLOURS[i % COLOURS.length] ?? '#000000';
}

function stroke(s: Series, i: number): string {
  return `stroke="${colour(i)}" stroke-width="${s.ours ? 2 : 1.5}"${s.ours ? '' : ' stroke-dasharray="5 3"'}`;
}

function vline(x: number, top: number, bottom: number, colourOf: string): string {
  return `<line x1="${r(x)}" y1="${r(top)}" x2="${r(x)}" y2="${r(bottom)}" stroke="${colourOf}"/>`;
}

function hline(y: number, left: number, right: number, colourOf: string): string {
  return `<line x1="${r(left)}" y1="${r(y)}" x2="${r(right)}" y2="${r(y)}" stroke="${colourOf}"/>`;
}

/** A coordinate to one decimal: short SVG, no visible difference. */
function r(v: number): number {
  return Math.round(v * 10) / 10;
}
