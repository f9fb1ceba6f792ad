// DiMint dashboard page: polls /api/cluster and /api/stats, draws the ring, tables and charts, and drives the test client.
(() => {
  'use strict';
  const PALETTE = ['#2f6fde', '#e8833a', '#2a9d8f', '#c0392b', '#8e44ad', '#d4a20b', '#16a0c4', '#b5487c', '#5c7c2a', '#6d4c41'];
  const DOWN = '#9aa4b1';
  const $ = (id) => document.getElementById(id);
  let view = null;
  const colours = new Map();

  const fmtBytes = (n) => {
    if (n == null || n < 0) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0; let v = n;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
  };
  const fmtNum = (n) => (n == null || n < 0 ? '–' : Number(n).toLocaleString('en-US'));
  const fmtRate = (n) => (n == null ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const fmtUptime = (s) => {
    if (s == null) return '–';
    s = Math.floor(s);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
  };
  const short = (address) => (address || '').split('@')[0];
  const colourOf = (address) => colours.get(address) || DOWN;
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v; else if (k === 'text') node.textContent = v; else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  };

  // The admin token: typed in, or handed over in the URL's fragment (#token=..., never sent to the server), kept for
  // this tab only.
  const TOKEN_KEY = 'dimint-admin-token';
  const fromUrl = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(fromUrl[1]));
    window.history.replaceState(null, '', location.pathname + location.search);
  }
  $('admin-token').value = sessionStorage.getItem(TOKEN_KEY) || '';
  $('admin-token').addEventListener('input', () => sessionStorage.setItem(TOKEN_KEY, $('admin-token').value));
  function adminHeaders() { return { 'X-DiMint-Admin-Token': $('admin-token').value }; }

  async function api(method, url, body, headers) {
    const response = await fetch(url, { method, body, headers: Object.assign({ 'Content-Type': 'application/json' }, headers || {}) });
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    return { ok: response.ok, status: response.status, data };
  }

  // ---- cluster view ----
  function assignColours(silos) {
    silos.forEach((s, i) => colours.set(s.address, PALETTE[i % PALETTE.length]));
  }

  function renderSummary(v) {
    const up = v.silos.filter((s) => s.up).length;
    $('total-silos').textContent = `${up}/${v.silos.length}`;
    $('ring-version').textContent = v.ringVersion >= 0 ? v.ringVersion : '–';
    $('total-ranges').textContent = v.ranges.length;
    $('total-keys').textContent = fmtNum(v.silos.reduce((a, s) => a + s.keys, 0));
    $('total-bytes').textContent = fmtBytes(v.silos.reduce((a, s) => a + s.bytes, 0));
    $('total-ops').textContent = fmtRate(v.silos.reduce((a, s) => a + (s.up ? s.opsPerSecond : 0), 0));
    const conn = $('conn');
    conn.textContent = v.connected ? 'live' : 'degraded';
    conn.className = 'conn ' + (v.connected ? 'ok' : 'bad');
    const err = $('cluster-error');
    err.hidden = !v.error;
    err.textContent = v.error || '';
    const running = v.operations.filter((o) => o.inProgress);
    $('operations').textContent = running.length ? running.map((o) => `${opKind(o)} ${opRanges(o)}`).join(', ') : 'none';
    $('admin-state').textContent = v.adminEnabled
      ? 'Writes and admin actions are enabled; they need the admin token (dimint up puts it in the URL it prints).'
      : 'Writes and admin actions are disabled (start the dashboard with --admin-token).';
  }

  function renderSilos(v) {
    const body = $('silos').tBodies[0];
    body.replaceChildren(...v.silos.map((s) => {
      const row = el('tr', { 'data-silo': s.address, 'data-up': String(s.up), class: s.up ? 'up' : 'down' },
        el('td', {}, el('span', { class: 'swatch' + (s.up ? '' : ' faded'), style: `background:${colourOf(s.address)}` })),
        el('td', { title: `${s.address}${s.gateway ? '\ngateway ' + s.gateway : ''}${s.processId ? '\npid ' + s.processId : ''}`, text: short(s.address) }),
        el('td', {}, el('span', { class: 'badge ' + (s.up ? 'up' : 'down'), 'data-status': s.up ? 'up' : 'down', text: s.up ? 'up' : 'down' }),
          el('span', { class: 'hint', text: s.membership !== 'Active' ? ' ' + s.membership.toLowerCase() : '' }),
          s.overlord === 'leader'
            ? el('span', { class: 'badge overlord', 'data-overlord': 'leader', title: 'The overlord runs here (it holds the overlord lease)', text: 'overlord' })
            : el('span', { class: 'hint', 'data-overlord': s.overlord || '', title: s.overlord ? 'Takes the overlord over if its silo fails' : '', text: s.overlord ? ' standby' : '' })),
        el('td', { text: fmtUptime(s.uptimeSeconds) }),
        el('td', { text: s.up && s.cpuPercent != null ? s.cpuPercent.toFixed(1) + '%' : '–' }),
        el('td', { text: s.up ? fmtBytes(s.memoryBytes) : '–' }),
        el('td', { text: `${s.masterRanges} / ${s.replicaRanges}` }),
        el('td', { class: 'keys', text: s.up ? fmtNum(s.keys) : '–' }),
        el('td', { text: s.up ? fmtBytes(s.bytes) : '–' }),
        el('td', { text: s.up ? fmtRate(s.opsPerSecond) : '–' }),
        el('td', { text: s.up && s.latencyP99Ms != null ? s.latencyP99Ms.toFixed(2) + ' ms' : '–' }));
      return row;
    }));
  }

  function arc(r0, r1, a0, a1) {
    // Angles are fractions of the ring; 0 at the top, clockwise.
    const tau = Math.PI * 2;
    const gap = a1 - a0 > 0.004 ? 0.0015 : 0;
    const s = (a0 + gap) * tau - Math.PI / 2;
    const e = (a1 - gap) * tau - Math.PI / 2;
    const large = e - s > Math.PI ? 1 : 0;
    const p = (r, a) => `${(r * Math.cos(a)).toFixed(2)} ${(r * Math.sin(a)).toFixed(2)}`;
    if (a1 - a0 >= 0.9999) {
      return `M ${p(r1, -Math.PI / 2)} A ${r1} ${r1} 0 1 1 ${p(r1, Math.PI / 2)} A ${r1} ${r1} 0 1 1 ${p(r1, -Math.PI / 2)} `
        + `M ${p(r0, -Math.PI / 2)} A ${r0} ${r0} 0 1 0 ${p(r0, Math.PI / 2)} A ${r0} ${r0} 0 1 0 ${p(r0, -Math.PI / 2)} Z`;
    }
    return `M ${p(r1, s)} A ${r1} ${r1} 0 ${large} 1 ${p(r1, e)} L ${p(r0, e)} A ${r0} ${r0} 0 ${large} 0 ${p(r0, s)} Z`;
  }

  function renderRing(v) {
    const svg = $('ring');
    const ns = 'http://www.w3.org/2000/svg';
    const nodes = [];
    const upSet = new Set(v.silos.filter((s) => s.up).map((s) => s.address));
    const maxReplicas = Math.max(0, ...v.ranges.map((r) => r.replicas.length));
    for (const r of v.ranges) {
      const path = document.createElementNS(ns, 'path');
      path.setAttribute('d', arc(112, 155, r.startFraction, r.endFraction));
      path.setAttribute('fill', colourOf(r.master));
      path.setAttribute('class', 'range' + (upSet.has(r.master) ? '' : ' master-down'));
      path.setAttribute('data-range', r.id);
      path.setAttribute('data-start', r.startFraction);
      path.setAttribute('data-end', r.endFraction);
      path.setAttribute('data-master', r.master);
      path.dataset.tip = `range ${r.id}  epoch ${r.epoch}\n[${r.start}, ${r.end})\nmaster  ${short(r.master)}${upSet.has(r.master) ? '' : ' (down)'}\n`
        + `replicas ${r.replicas.length ? r.replicas.map(short).join(', ') : 'none'}\nkeys ${fmtNum(r.keys)}  data ${fmtBytes(r.bytes)}`;
      nodes.push(path);
      const band = maxReplicas ? Math.min(14, 40 / maxReplicas) : 0;
      r.replicas.forEach((rep, i) => {
        const p = document.createElementNS(ns, 'path');
        const outer = 108 - i * (band + 2);
        p.setAttribute('d', arc(outer - band, outer, r.startFraction, r.endFraction));
        p.setAttribute('fill', colourOf(rep));
        p.setAttribute('class', 'replica');
        p.dataset.tip = path.dataset.tip;
        nodes.push(p);
      });
    }
    const total = document.createElementNS(ns, 'text');
    total.setAttribute('class', 'big');
    total.setAttribute('y', '-2');
    total.textContent = v.ranges.length ? `${v.ranges.length} ranges` : 'no ring yet';
    const sub = document.createElementNS(ns, 'text');
    sub.setAttribute('y', '20');
    sub.textContent = v.ringVersion >= 0 ? `ring version ${v.ringVersion}` : '';
    nodes.push(total, sub);
    svg.replaceChildren(...nodes);

    $('legend').replaceChildren(...v.silos.map((s) => el('span', { 'data-legend': s.address },
      el('span', { class: 'swatch' + (s.up ? '' : ' faded'), style: `background:${colourOf(s.address)}` }),
      `${short(s.address)}${s.up ? '' : ' (down)'}`)));
  }

  const tip = $('ring-tip');
  $('ring').addEventListener('mousemove', (e) => {
    const text = e.target.dataset && e.target.dataset.tip;
    if (!text) { tip.hidden = true; return; }
    const box = $('ring').parentElement.getBoundingClientRect();
    tip.textContent = text;
    tip.style.left = (e.clientX - box.left + 14) + 'px';
    tip.style.top = (e.clientY - box.top + 10) + 'px';
    tip.hidden = false;
  });
  $('ring').addEventListener('mouseleave', () => { tip.hidden = true; });

  function renderRanges(v) {
    $('ranges').tBodies[0].replaceChildren(...v.ranges.map((r) => el('tr', { 'data-range': r.id },
      el('td', { text: r.id }),
      el('td', { text: r.start }),
      el('td', { text: r.end }),
      el('td', {}, el('span', { class: 'swatch', style: `background:${colourOf(r.master)}` }), ' ' + short(r.master)),
      el('td', { text: r.replicas.length ? r.replicas.map(short).join(', ') : '–' }),
      el('td', { text: r.epoch }),
      el('td', { text: fmtNum(r.keys) }),
      el('td', { text: fmtBytes(r.bytes) }),
      el('td', { text: r.replicaLag < 0 ? '?' : fmtNum(r.replicaLag) }),
      el('td', { text: r.replicasInSync < 0 ? '?' : `${r.replicasInSync}/${r.replicas.length}` }))));
  }

  // ---- ring operations ----
  const OP_KINDS = { Split: 'split', Merge: 'merge', MoveMaster: 'move master', MoveReplica: 'move replica', Drain: 'drain' };
  const OP_STATES = { Planned: 'planned', Running: 'running', Fencing: 'fencing', Done: 'done', RolledBack: 'rolled back' };
  const opKind = (o) => (OP_KINDS[o.kind] || o.kind) + (o.automatic ? ' (auto)' : '');
  const opRanges = (o) => {
    const given = o.kind === 'Drain' ? 'all on the silo'
      : o.kind === 'Merge' ? `${o.rangeId} + ${o.otherRangeId}`
        : o.kind === 'Split' && o.splitAt ? `${o.rangeId} at ${o.splitAt}` : String(o.rangeId);
    return o.resultRanges.length ? `${given} → ${o.resultRanges.join(', ')}` : given;
  };
  const opSilos = (o) => (o.source || o.target ? `${o.source ? short(o.source) : ''} → ${o.target ? short(o.target) : ''}`.trim() : '–');
  const fmtMs = (ms) => (ms == null ? '–' : ms < 1000 ? ms.toFixed(ms < 10 ? 1 : 0) + ' ms' : (ms / 1000).toFixed(1) + ' s');

  function renderOperations(v) {
    const ops = v.operations;
    $('operations-empty').hidden = ops.length > 0;
    $('operations-table').tBodies[0].replaceChildren(...ops.map((o) => el('tr', { 'data-op': o.id, 'data-kind': o.kind, 'data-state': o.state, class: 'op ' + o.state.toLowerCase() },
      el('td', { text: o.id }),
      el('td', { text: opKind(o) }),
      el('td', { class: 'op-ranges', text: opRanges(o) }),
      el('td', { class: 'op-silos', text: opSilos(o) }),
      el('td', {}, el('span', { class: 'badge op-state ' + o.state.toLowerCase(), text: OP_STATES[o.state] || o.state })),
      el('td', { class: 'op-progress' }, o.progress == null ? '–'
        : el('span', { class: 'meter' }, el('span', { style: `width:${o.progress.toFixed(1)}%` })), o.progress == null ? '' : ` ${o.progress.toFixed(0)}%`),
      el('td', { class: 'op-moved', text: o.bytesTotal > 0 || o.bytesMoved > 0 ? `${fmtBytes(o.bytesMoved)} / ${fmtBytes(Math.max(o.bytesTotal, o.bytesMoved))}` : '–' }),
      el('td', { text: fmtNum(o.keysMoved) }),
      el('td', { class: 'op-rate', text: o.bytesMoved > 0 ? fmtBytes(o.bytesPerSecond) + '/s' : '–' }),
      el('td', { class: 'op-fence', text: fmtMs(o.fenceMs) }),
      el('td', { text: new Date(o.startedAt).toLocaleTimeString() }),
      el('td', { text: fmtMs(o.durationMs) + (o.steps > 0 ? ` (step ${o.stepsDone}/${o.steps})` : '') }),
      el('td', { class: 'op-reason', text: o.reason || '' }))));
  }

  // ---- charts (canvas, no library) ----
  function setupCanvas(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 300;
    const height = Number(canvas.getAttribute('height')) || 150;
    if (canvas.width !== Math.round(width * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.height = height + 'px';
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '11px system-ui, sans-serif';
    return { ctx, width, height };
  }

  function barChart(canvas, items, format) {
    const { ctx, width, height } = setupCanvas(canvas);
    if (!items.length) return;
    const max = Math.max(1, ...items.map((i) => i.value));
    const left = 4; const bottom = 16; const top = 14;
    const slot = (width - left) / items.length;
    const bar = Math.max(2, Math.min(48, slot * 0.7));
    items.forEach((item, i) => {
      const h = Math.max(item.value > 0 ? 2 : 0, (height - bottom - top) * (item.value / max));
      const x = left + i * slot + (slot - bar) / 2;
      ctx.fillStyle = item.colour;
      ctx.fillRect(x, height - bottom - h, bar, h);
      ctx.fillStyle = '#334';
      ctx.textAlign = 'center';
      if (slot > 26) {
        ctx.fillText(format(item.value), x + bar / 2, height - bottom - h - 3);
        ctx.fillStyle = '#6b7685';
        ctx.fillText(item.label, x + bar / 2, height - 3);
      }
    });
  }

  function lineChart(canvas, series, unit) {
    const { ctx, width, height } = setupCanvas(canvas);
    const left = 38; const bottom = 14; const top = 8; const right = 6;
    const all = series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => y != null);
    const max = Math.max(unit === 'ms' ? 1 : 5, ...all) * 1.15;
    ctx.strokeStyle = '#e2e6ec'; ctx.fillStyle = '#6b7685'; ctx.textAlign = 'right'; ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = top + (height - top - bottom) * (i / 4);
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(width - right, y); ctx.stroke();
      const value = max * (1 - i / 4);
      ctx.fillText(value >= 10 ? value.toFixed(0) : value.toFixed(1), left - 4, y + 4);
    }
    const n = 120;
    series.forEach((s) => {
      ctx.strokeStyle = s.colour; ctx.lineWidth = 2; ctx.beginPath();
      let pen = false;
      s.points.forEach((p) => {
        if (p.y == null) { pen = false; return; }
        const x = left + (width - left - right) * (p.x / (n - 1));
        const y = top + (height - top - bottom) * (1 - p.y / max);
        if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        pen = true;
      });
      ctx.stroke();
    });
    ctx.textAlign = 'left'; ctx.fillStyle = '#6b7685';
    ctx.fillText('last 2 min', left + 2, height - 2);
  }

  function renderCharts(v, history) {
    const up = v.silos.filter((s) => s.up);
    barChart($('chart-silo-keys'), up.map((s) => ({ label: short(s.address).split(':').pop(), value: s.keys, colour: colourOf(s.address) })), fmtNum);
    barChart($('chart-silo-bytes'), up.map((s) => ({ label: short(s.address).split(':').pop(), value: s.bytes, colour: colourOf(s.address) })), fmtBytes);
    barChart($('chart-range-keys'), v.ranges.map((r) => ({ label: String(r.id), value: Math.max(0, r.keys), colour: colourOf(r.master) })), fmtNum);
    if (!history) return;
    const start = Math.max(0, 120 - history.length);
    const seriesOf = (pick) => v.silos.map((s) => ({
      colour: colourOf(s.address),
      points: history.map((h, i) => ({ x: start + i, y: h.silos[s.address] ? pick(h.silos[s.address]) : null })),
    })).filter((s) => s.points.some((p) => p.y != null));
    lineChart($('chart-ops'), seriesOf((p) => p.opsPerSecond), 'ops');
    lineChart($('chart-latency'), seriesOf((p) => p.latencyP99Ms), 'ms');
  }

  let history = null;
  async function refresh() {
    try {
      const [cluster, stats] = await Promise.all([api('GET', 'api/cluster'), api('GET', 'api/stats')]);
      if (!cluster.ok || !cluster.data) throw new Error('HTTP ' + cluster.status);
      view = cluster.data;
      if (stats.ok && stats.data) history = stats.data.history;
      assignColours(view.silos);
      renderSummary(view);
      renderSilos(view);
      renderRing(view);
      renderRanges(view);
      renderOperations(view);
      renderCharts(view, history);
    } catch (e) {
      const conn = $('conn');
      conn.textContent = 'dashboard unreachable';
      conn.className = 'conn bad';
    }
  }

  // ---- test client ----
  function typedNode(t) {
    const badge = el('span', { class: 'type', text: t.type });
    if (t.items) {
      return el('div', {}, badge, `${t.items.length} item(s)`, el('ul', {}, ...t.items.map((i) => el('li', {}, typedNode(i)))));
    }
    if (t.entries) {
      return el('div', {}, badge, `${t.entries.length} entr${t.entries.length === 1 ? 'y' : 'ies'}`,
        el('ul', {}, ...t.entries.map((e) => el('li', {}, typedNode(e.key), el('span', { text: ' → ' }), typedNode(e.value)))));
    }
    const shown = t.type === 'string' ? JSON.stringify(t.value) : t.type === 'null' ? 'null' : String(t.value);
    return el('span', { class: 'leaf' }, badge, el('span', { class: 'v', text: shown }));
  }

  function showError(message) {
    $('kv-result').hidden = true;
    const box = $('kv-error');
    box.textContent = message;
    box.hidden = false;
  }

  function showResult(status, data) {
    $('kv-error').hidden = true;
    $('kv-status').textContent = status;
    $('kv-result-key').textContent = data.key;
    $('kv-kind').textContent = data.kind || '';
    $('kv-notation').textContent = data.value != null ? data.value : '';
    $('kv-typed').replaceChildren(data.typed ? typedNode(data.typed) : '');
    $('kv-result').hidden = false;
  }

  async function kv(method) {
    const key = $('kv-key').value;
    if (!key) { showError('Give a key.'); return; }
    const url = 'api/kv?key=' + encodeURIComponent(key);
    try {
      const r = method === 'PUT'
        ? await api('PUT', url, $('kv-value').value, adminHeaders())
        : await api(method, url, undefined, method === 'GET' ? {} : adminHeaders());
      if (!r.ok) { showError((r.data && r.data.error) || `The request failed (HTTP ${r.status}).`); return; }
      if (method === 'DELETE') { showResult('Deleted', { key: r.data.key }); return; }
      showResult(method === 'PUT' ? 'Stored' : 'Read', r.data);
    } catch (e) {
      showError('The dashboard did not answer: ' + e.message);
    }
  }

  $('kv-set').addEventListener('click', () => kv('PUT'));
  $('kv-get').addEventListener('click', () => kv('GET'));
  $('kv-delete').addEventListener('click', () => kv('DELETE'));

  $('split-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = $('split-range').value;
    const at = $('split-at').value.trim();
    const url = `api/ranges/${encodeURIComponent(id)}/split` + (at ? '?at=' + encodeURIComponent(at) : '');
    const r = await api('POST', url, null, adminHeaders());
    $('split-result').textContent = r.ok
      ? `Split: ring version ${r.data.ringVersion}, ${r.data.ranges} ranges` + (r.data.operation ? ` (operation ${r.data.operation.id}: ${fmtNum(r.data.operation.keysMoved)} keys, fence ${fmtMs(r.data.operation.fenceMs)}).` : '.')
      : ((r.data && r.data.error) || `HTTP ${r.status}`);
    $('split-result').className = r.ok ? 'hint' : 'error';
    refresh();
  });

  refresh();
  setInterval(refresh, 1000);
  window.addEventListener('resize', () => view && renderCharts(view, history));
})();
