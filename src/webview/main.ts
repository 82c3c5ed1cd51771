/**
 * The Backward Lens panel UI, shared by the editor-side panel, the panel-area view and the
 * `*.blens.json` custom editor. It renders whatever result the host shows it and persists
 * that result with `setState`, so a hidden or reloaded webview redraws without the host.
 */
import {
  parseHostMessage,
  parsePersistedState,
  type HostToWebview,
  type PersistedState,
  type Reading,
  type ShowMessage,
  type WebviewToHost,
} from '../protocol/messages';
import type { BackwardLensResult, ScoredToken } from '../result/schema';
import { rankChart, type Series } from './chart';
import { h } from './dom';
import { focusCell, onGridKey } from './gridKeys';
import {
  buildGrid,
  headerFacts,
  type FactPart,
  formatNumber,
  formatProb,
  GRID_TITLES,
  lastPromptPosition,
  rankSeries,
  tokenText,
  visibleToken,
  type CellModel,
  type RankPoint,
  type GridModel,
  type GridName,
} from '../result/view';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

let state: PersistedState = parsePersistedState(vscode.getState()) ?? { version: 1, reading: 'bottom' };
let nextRequestId = 1;
const pending = new Map<number, 'save' | 'reanalyze'>();
let status: { text: string; error?: boolean } | undefined;
let busyStep: string | undefined;

const post = (message: WebviewToHost): void => vscode.postMessage(message);

function persist(): void {
  vscode.setState(state);
}

window.addEventListener('message', (event: MessageEvent) => {
  const message = parseHostMessage(event.data);
  if (message) handle(message);
});

function handle(message: HostToWebview): void {
  switch (message.type) {
    case 'show': {
      if (message.requestId !== undefined) {
        if (!pending.has(message.requestId)) return; // An answer to a request this page no longer waits for.
        pending.delete(message.requestId);
      }
      const tokens = message.result.tokens.length;
      if (state.selectedPosition !== undefined && state.selectedPosition >= tokens) state.selectedPosition = undefined;
      state = { ...state, show: message };
      status = undefined;
      busyStep = undefined;
      persist();
      render();
      return;
    }
    case 'busy':
      busyStep = message.step;
      updateStatus();
      return;
    case 'error':
      if (message.requestId !== undefined) pending.delete(message.requestId);
      busyStep = undefined;
      status = { text: message.message, error: true };
      updateStatus();
      return;
    case 'saved':
      if (message.requestId !== undefined) pending.delete(message.requestId);
      status = { text: `Saved ${message.label}` };
      updateStatus();
      return;
  }
}

function request(kind: 'save' | 'reanalyze', extra: { normalized?: boolean } = {}): void {
  const requestId = nextRequestId++;
  pending.set(requestId, kind);
  if (kind === 'save') {
    status = { text: 'Saving…' };
    post({ type: 'save', requestId });
  } else {
    status = { text: extra.normalized ? 'Re-running with the normalized lens…' : "Re-running with the paper's lens…" };
    post({ type: 'reanalyze', requestId, normalized: extra.normalized === true });
  }
  updateStatus();
}

// ---- rendering ----------------------------------------------------------------------------

function render(): void {
  const show = state.show;
  if (!show) {
    app.replaceChildren(
      h('p', { class: 'empty' }, 'Select text in an editor and run ', h('strong', {}, 'Backward Lens: Analyze Selection'), '.'),
    );
    return;
  }
  const { result } = show;
  app.replaceChildren(
    renderHeader(show),
    renderToolbar(show),
    h('section', { class: 'grids', 'aria-label': 'Vocabulary projections' }, renderGrid(result, 'ff1', show), renderGrid(result, 'ff2', show)),
    h('section', { id: 'rank-chart', class: 'chart-section', 'aria-label': 'Target rank across layers' }),
    h('div', { id: 'cell-details', role: 'tooltip', class: 'cell-details', hidden: true }),
  );
  renderChart(result);
  // Long prompts overflow: start at the right edge, where the last prompt token (the paper's
  // focus, and the loss position) sits.
  app.querySelectorAll('.grid-scroll').forEach((scroller) => {
    scroller.scrollLeft = scroller.scrollWidth;
  });
  updateStatus();
}

function tokenChip(text: string, extra: Record<string, string | number | undefined> = {}): HTMLElement {
  return h('code', { class: 'token', ...extra }, visibleToken(text));
}

function renderPart(part: FactPart): Node | string {
  if (typeof part === 'string') return part;
  if ('userText' in part) return `“${part.userText}”`;
  if ('prob' in part) return h('span', { class: 'scored' }, tokenChip(part.token), ' ', h('span', { class: 'prob' }, formatProb(part.prob)));
  return tokenChip(part.token, { title: part.title });
}

function renderHeader(show: ShowMessage): HTMLElement {
  const rows = headerFacts(show.result, false).flatMap((fact) => {
    const tokens = fact.parts.filter((p) => typeof p !== 'string' && !('userText' in p));
    const text = fact.parts.filter((p) => !tokens.includes(p)).map(renderPart);
    const value = [...text, ...(tokens.length ? [h('span', { class: 'token-list' }, ...tokens.map(renderPart))] : [])];
    const shown = fact.label === 'Correctness' ? [h('span', { id: 'correctness', class: fact.notable ? 'note' : undefined }, ...value)] : value;
    return [h('dt', {}, fact.label), h('dd', {}, ...shown)];
  });
  return h('header', { id: 'result-header' }, h('h1', {}, 'Backward Lens'), h('dl', {}, ...rows));
}

function renderToolbar(show: ShowMessage): HTMLElement {
  const { result, capabilities } = show;
  const normalized = h(
    'button',
    {
      id: 'toggle-normalized',
      type: 'button',
      'aria-pressed': String(result.lens.normalized),
      disabled: !capabilities.reanalyze,
      title: capabilities.reanalyze
        ? 'L2-normalize each vector before the lens (the paper’s optional variant); re-runs the analysis'
        : 'Saved results cannot be re-run here: analyze the selection again to change the lens',
    },
    'Normalized lens',
  );
  normalized.addEventListener('click', () => request('reanalyze', { normalized: !result.lens.normalized }));

  const reading = h('div', { role: 'radiogroup', class: 'segmented', 'aria-label': 'Emphasize' });
  for (const value of ['top', 'bottom'] as Reading[]) {
    const button = h(
      'button',
      { type: 'button', role: 'radio', id: `reading-${value}`, 'aria-checked': String(state.reading === value), tabindex: state.reading === value ? 0 : -1 },
      value === 'top' ? 'Top tokens' : 'Bottom tokens',
    );
    button.addEventListener('click', () => setReading(value));
    button.addEventListener('keydown', (e) => {
      if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) {
        e.preventDefault();
        setReading(state.reading === 'top' ? 'bottom' : 'top');
        document.getElementById(`reading-${state.reading}`)?.focus();
      }
    });
    reading.append(button);
  }

  const save = h('button', { id: 'save-result', type: 'button', disabled: !capabilities.save, class: 'primary' }, 'Save');
  save.addEventListener('click', () => request('save'));

  return h(
    'div',
    { role: 'toolbar', class: 'toolbar', 'aria-label': 'Lens options' },
    normalized,
    h('span', { class: 'toolbar-label', id: 'reading-label' }, 'Emphasize'),
    reading,
    save,
    h('span', { id: 'status', role: 'status' }),
  );
}

function setReading(reading: Reading): void {
  state = { ...state, reading };
  persist();
  for (const value of ['top', 'bottom'] as Reading[]) {
    const button = document.getElementById(`reading-${value}`);
    button?.setAttribute('aria-checked', String(value === reading));
    button?.setAttribute('tabindex', value === reading ? '0' : '-1');
  }
  document.querySelectorAll('table[role="grid"]').forEach((table) => table.setAttribute('data-reading', reading));
}

function updateStatus(): void {
  const el = document.getElementById('status');
  if (!el) return;
  const busy = busyStep ?? (pending.size && status ? status.text : undefined);
  el.textContent = busy ?? status?.text ?? '';
  el.classList.toggle('error', !busy && status?.error === true);
  app.setAttribute('aria-busy', String(busy !== undefined));
  const toggle = document.getElementById('toggle-normalized') as HTMLButtonElement | null;
  if (toggle && state.show?.capabilities.reanalyze) toggle.disabled = busy !== undefined;
}

function cellLabel(grid: GridName, layer: number, token: string, cell: CellModel): string {
  const top = cell.top[0] ? visibleToken(cell.top[0].text) : '—';
  const bottom = cell.bottom[0] ? visibleToken(cell.bottom[0].text) : '—';
  return `${grid.toUpperCase()} layer ${layer}, token ${visibleToken(token)}: top ${top}, bottom ${bottom}, norm ${formatNumber(cell.norm)}, rank of ${visibleToken(cell.rankToken)} ${cell.targetRank}`;
}

function renderGrid(result: BackwardLensResult, name: GridName, show: ShowMessage): HTMLElement {
  const grid = buildGrid(result, name);
  const titles = GRID_TITLES[name];
  const headerCells = result.tokens.map((t, i) => {
    const label = visibleToken(t.text);
    const content = show.capabilities.reveal
      ? h('button', { type: 'button', class: 'token-header', 'data-pos': i, title: 'Reveal in the editor', tabindex: -1 }, label)
      : h('span', { class: 'token-header' }, label);
    return h('th', { scope: 'col', role: 'columnheader', 'data-pos': i, class: i === state.selectedPosition ? 'selected-col' : undefined }, content);
  });
  const table = h(
    'table',
    { role: 'grid', 'data-grid': name, 'data-reading': state.reading, 'aria-label': `${titles.title}: ${titles.subtitle}; rows are layers, last layer first` },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'corner' }, 'layer'), ...headerCells)),
    h(
      'tbody',
      {},
      ...grid.rows.map((row, r) =>
        h(
          'tr',
          { 'data-layer': row.layer },
          h('th', { scope: 'row', role: 'rowheader', title: `‖∇W‖ = ${formatNumber(row.gradNorm)}, rank ${row.gradRank}` }, `L${row.layer}`),
          ...row.cells.map((cell, c) => renderCell(name, row.layer, result.tokens[c].text, cell, r === 0 && c === 0)),
        ),
      ),
    ),
  );
  table.addEventListener('keydown', (e) =>
    onGridKey(table, e, { activateHeader: (position) => post({ type: 'reveal', position }), activateCell: selectColumn, dismiss: hideDetails }),
  );
  table.addEventListener('focusin', (e) => showDetails(grid, e.target as Element));
  table.addEventListener('mouseover', (e) => showDetails(grid, e.target as Element));
  table.addEventListener('mouseleave', hideDetails);
  table.addEventListener('focusout', hideDetails);
  table.addEventListener('click', (e) => {
    const target = e.target as Element;
    const header = target.closest('button.token-header');
    if (header) {
      post({ type: 'reveal', position: Number(header.getAttribute('data-pos')) });
      return;
    }
    const cell = target.closest('td[role="gridcell"]') as HTMLElement | null;
    if (cell) {
      focusCell(table, cell);
      selectColumn(Number(cell.dataset.pos));
    }
  });
  return h(
    'div',
    { class: 'grid-block' },
    h('h2', {}, titles.title, h('span', { class: 'subtitle' }, ` ${titles.subtitle}`)),
    normLegend(grid),
    h('div', { class: 'grid-scroll' }, table),
  );
}

function renderCell(grid: GridName, layer: number, token: string, cell: CellModel, first: boolean): HTMLElement {
  const td = h(
    'td',
    {
      role: 'gridcell',
      'data-pos': cell.position,
      'data-top': JSON.stringify(cell.top.map((t) => t.text)),
      'data-bottom': JSON.stringify(cell.bottom.map((t) => t.text)),
      'data-norm': cell.norm,
      'data-rank': cell.targetRank,
      tabindex: first ? 0 : -1,
      'aria-label': cellLabel(grid, layer, token, cell),
      'aria-selected': String(cell.position === state.selectedPosition),
      class: cell.position === state.selectedPosition ? 'selected-col' : undefined,
    },
    // A zero vector (δ where no loss reaches) projects to the uniform distribution: its "top"
    // tokens are ties broken by id, so the cell says 0 instead of showing them.
    ...(cell.norm === 0
      ? [h('span', { class: 'cell-zero', title: 'zero vector: no gradient reaches this position' }, '0')]
      : [
          h('span', { class: 'cell-top' }, cell.top[0]?.text ?? ''),
          h('span', { class: 'cell-sep', 'aria-hidden': 'true' }, ' \\ '),
          h('span', { class: 'cell-bottom' }, cell.bottom[0]?.text ?? ''),
        ]),
  );
  // CSSOM writes are allowed under the CSP; `style="…"` attributes would not be.
  td.style.setProperty('--intensity', cell.intensity.toFixed(3));
  return td;
}

function normLegend(grid: GridModel): HTMLElement {
  return h(
    'div',
    { class: 'norm-legend', 'aria-label': `Cell background encodes ‖v‖, from 0 to ${formatNumber(grid.maxNorm)}` },
    h('span', {}, '‖v‖ 0'),
    h('span', { class: 'norm-ramp', 'aria-hidden': 'true' }),
    h('span', {}, formatNumber(grid.maxNorm)),
  );
}

function selectColumn(position: number): void {
  state = { ...state, selectedPosition: state.selectedPosition === position ? undefined : position };
  persist();
  document.querySelectorAll('[data-pos]').forEach((el) => {
    const selected = Number(el.getAttribute('data-pos')) === state.selectedPosition && !el.matches('button');
    el.classList.toggle('selected-col', selected);
    if (el.getAttribute('role') === 'gridcell') el.setAttribute('aria-selected', String(selected));
  });
  if (state.show) renderChart(state.show.result);
}

function renderChart(result: BackwardLensResult): void {
  const host = document.getElementById('rank-chart');
  if (!host) return;
  const last = lastPromptPosition(result);
  // A descent step writes the bottom of LL(δ), so δ's curve counts the target's rank from the
  // bottom: 0 there means the update writes the target first, as the paper reads it.
  const fromBottom = (points: RankPoint[]) => points.map((p) => ({ ...p, rank: result.model.vocabSize - 1 - p.rank }));
  const curves = (position: number, extraClass: string): Series[] => {
    const token = visibleToken(result.tokens[position]?.text ?? '');
    return [
      { label: `FF2 δ at ${position} “${token}” (from the bottom)`, points: fromBottom(rankSeries(result, 'ff2', position)), className: `s-ff2${extraClass}` },
      { label: `FF1 x at ${position} “${token}”`, points: rankSeries(result, 'ff1', position), className: `s-ff1${extraClass}` },
    ];
  };
  const series = curves(last, '');
  const sel = state.selectedPosition;
  if (sel !== undefined && sel !== last) series.push(...curves(sel, ' s-selected'));
  const target = visibleToken(tokenText(result, result.rankIds[last]));
  const layers = result.layers.map((l) => l.layer).sort((a, b) => a - b);
  host.replaceChildren(
    h('h2', {}, `Rank of “${target}” across layers`),
    h('p', { class: 'hint' }, 'Click a column to add its curves. FF1: 0 = the most probable token of LL(x). FF2: 0 = the least probable token of LL(δ), what a descent step writes.'),
    rankChart(series, layers, result.model.vocabSize, `Rank of ${target} across layers`),
  );
}

// ---- hover / focus details ----------------------------------------------------------------

function scoredList(title: string, tokens: ScoredToken[], rankToken: string): HTMLElement {
  return h(
    'div',
    { class: 'detail-list' },
    h('h3', {}, title),
    h(
      'ol',
      {},
      ...tokens.map((t) =>
        h('li', { class: t.text === rankToken ? 'is-target' : undefined }, tokenChip(t.text), h('span', { class: 'prob' }, formatProb(t.prob))),
      ),
    ),
  );
}

function showDetails(grid: GridModel, target: Element): void {
  const td = target.closest?.('td[role="gridcell"]') as HTMLElement | null;
  const box = document.getElementById('cell-details');
  if (!td || !box || !state.show) return;
  const layer = Number(td.closest('tr')?.getAttribute('data-layer'));
  const cell = grid.rows.find((r) => r.layer === layer)?.cells[Number(td.dataset.pos)];
  if (!cell) return;
  const token = state.show.result.tokens[cell.position]?.text ?? '';
  const lists = [scoredList(`top-${cell.top.length}`, cell.top, cell.rankToken), scoredList(`bottom-${cell.bottom.length}`, cell.bottom, cell.rankToken)];
  if (state.reading === 'bottom') lists.reverse();
  box.replaceChildren(
    h('div', { class: 'detail-head' }, `${grid.name.toUpperCase()} · layer ${layer} · position ${cell.position} `, tokenChip(token)),
    h('div', { class: 'detail-meta' }, `‖v‖ = ${formatNumber(cell.norm)} · rank of `, tokenChip(cell.rankToken), ` = ${cell.targetRank}`),
    h('div', { class: 'detail-lists' }, ...lists),
  );
  box.hidden = false;
  td.setAttribute('aria-describedby', 'cell-details');
  const rect = td.getBoundingClientRect();
  const boxRect = box.getBoundingClientRect();
  const left = Math.min(window.innerWidth - boxRect.width - 8, Math.max(8, rect.left));
  const below = rect.bottom + 6 + boxRect.height < window.innerHeight;
  box.style.setProperty('left', `${left + window.scrollX}px`);
  box.style.setProperty('top', `${(below ? rect.bottom + 6 : rect.top - boxRect.height - 6) + window.scrollY}px`);
}

function hideDetails(): void {
  const box = document.getElementById('cell-details');
  if (box) box.hidden = true;
}

render();
post({ type: 'ready' });
