// The waiting-room board in a TV's browser: the same picture and voice as the native board.
// It reads the office from the page (#config), the queue from /api/state and follows
// /api/events; after a cut it resumes with Last-Event-ID and shows what it missed without
// speaking it. No build step, nothing from the internet: everything comes from `counter serve`.
'use strict';
(() => {
  const cfg = JSON.parse(document.getElementById('config').textContent);
  const $ = id => document.getElementById(id);
  const HISTORY = 6;
  const counterName = n => (cfg.counters.find(c => c.number === n) || {name: 'Quầy ' + n}).name;
  const serviceName = code => (cfg.services.find(s => s.code === code) || {name: code}).name;

  // What tests (and the curious) can read: every call queued to be spoken, in order, and
  // those whose sound has played to the end.
  const board = window.motcuaBoard = {
    announced: [], spoken: [], connected: false, lastEventId: 0,
    frozen: null, blinkOn: true,
    // Screenshots: a fixed clock, the blink on, the notice still.
    freeze(iso) {
      this.frozen = iso ? Date.parse(iso) : null;
      document.body.classList.toggle('frozen', !!iso);
      this.blinkOn = true;
      render();
    },
  };
  let serverOffset = 0; // server clock minus this device's, from the Date header
  const now = () => board.frozen ?? (Date.now() + serverOffset);

  // The board's state.
  const rows = new Map(cfg.counters.map(c => [c.number, {number: null, service: null, paused: false}]));
  let waiting = cfg.services.map(s => ({service: s.code, waiting: 0}));
  const history = []; // newest first: {id, number, counter, at}

  // ---- drawing ----
  const dateFmt = new Intl.DateTimeFormat('en-GB', {timeZone: cfg.timezone, weekday: 'short',
    day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'});
  const DAYS = {Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 0};
  function clock() {
    const p = Object.fromEntries(dateFmt.formatToParts(new Date(now())).map(x => [x.type, x.value]));
    $('time').textContent = p.hour + ':' + p.minute;
    $('date').textContent = cfg.weekdays[DAYS[p.weekday]] + ', ' + p.day + '/' + p.month + '/' + p.year;
  }
  const fresh = () => history.length && now() - history[0].at < cfg.blink_ms ? history[0] : null;
  function render() {
    clock();
    const f = fresh();
    const tb = $('rows');
    tb.replaceChildren(...cfg.counters.map(c => {
      const r = rows.get(c.number);
      const tr = document.createElement('tr');
      tr.dataset.counter = c.number;
      if (f && f.counter === c.number) tr.className = board.blinkOn ? 'fresh on' : 'fresh';
      if (r.paused) tr.classList.add('paused');
      const cells = [c.name, r.number || '—', r.paused ? 'Tạm dừng' : (r.service ? serviceName(r.service) : '')];
      cells.forEach((t, i) => { const td = document.createElement('td'); td.textContent = t; td.className = ['name', 'number', 'service'][i]; tr.appendChild(td); });
      return tr;
    }));
    const latest = history[0];
    $('latest').className = 'panel latest' + (f ? (board.blinkOn ? ' fresh on' : ' fresh') : '');
    $('latest-number').textContent = latest ? latest.number : '—';
    $('latest-counter').textContent = latest ? 'Đến ' + counterName(latest.counter) : '';
    $('history').replaceChildren(...history.slice(1).map(h => {
      const li = document.createElement('li');
      const n = document.createElement('b'); n.textContent = h.number;
      const c = document.createElement('span'); c.textContent = counterName(h.counter);
      li.append(n, c);
      return li;
    }));
    $('waiting').replaceChildren(...waiting.map(w => {
      const li = document.createElement('li');
      const n = document.createElement('span'); n.textContent = serviceName(w.service);
      // The estimated wait of a ticket taken now, under the name (as on the native board).
      if (w.wait) {
        const e = document.createElement('small'); e.className = 'wait'; e.textContent = w.wait;
        n.append(e);
      }
      const k = document.createElement('b'); k.textContent = w.waiting;
      li.append(n, k);
      return li;
    }));
  }
  setInterval(() => { if (board.frozen === null) board.blinkOn = !board.blinkOn; render(); }, 500);
  // A short notice stands still and centred; a long one runs right to left.
  function notice() {
    const f = document.querySelector('footer'), sp = f.querySelector('span');
    f.classList.add('still');
    const fits = sp.scrollWidth <= f.clientWidth * 0.95;
    f.classList.toggle('still', fits);
    f.style.setProperty('--run', Math.max(10, sp.scrollWidth / 120) + 's');
  }
  window.addEventListener('resize', notice);
  notice();

  // ---- the queue ----
  async function readState() {
    const r = await fetch('/api/state', {cache: 'no-store'});
    if (!r.ok) throw new Error('state ' + r.status);
    const d = Date.parse(r.headers.get('Date'));
    if (!Number.isNaN(d)) serverOffset = d - Date.now();
    const s = await r.json();
    waiting = s.waiting;
    for (const c of s.counters) {
      const row = rows.get(c.counter);
      if (!row) continue;
      row.paused = c.paused;
      row.number = c.ticket ? c.ticket.number : null;
      row.service = c.ticket ? c.ticket.service : null;
    }
    render();
    return s;
  }

  // Events up to this id were in the log when the board (re)connected: shown, not spoken.
  let caughtUp = Infinity;
  let held = []; // events that came before the state read after a (re)connection
  let holding = true;
  function apply(kind, e) {
    if (e.id <= board.lastEventId) return; // already applied (never twice)
    board.lastEventId = e.id;
    if (kind === 'called' || kind === 'recalled') {
      const row = rows.get(e.counter);
      if (row) { row.number = e.number; row.service = e.service; }
      history.unshift({id: e.id, number: e.number, counter: e.counter, at: Date.parse(e.at)});
      history.length = Math.min(history.length, HISTORY);
      if (e.id > caughtUp) announce(e.number, e.counter);
    }
    render();
  }
  let refreshing = null;
  function refreshSoon() {
    if (refreshing) return;
    refreshing = setTimeout(() => { refreshing = null; readState().catch(lost); }, 150);
  }
  function onMessage(kind, m) {
    const e = JSON.parse(m.data);
    if (holding) { held.push([kind, e]); return; }
    if (e.id !== undefined) apply(kind, e);
    refreshSoon();
  }

  // ---- the connection ----
  let es = null;
  function lost() {
    board.connected = false;
    $('offline').hidden = false;
  }
  async function caughtUpNow() {
    holding = true;
    try {
      const s = await readState();
      caughtUp = s.last_event_id;
      holding = false;
      board.connected = true;
      $('offline').hidden = true;
      const h = held; held = [];
      for (const [k, e] of h) if (e.id !== undefined) apply(k, e);
    } catch (err) {
      lost();
    }
  }
  function connect(after) {
    if (es) es.close();
    holding = true;
    es = new EventSource('/api/events?after=' + after);
    es.onopen = caughtUpNow;
    es.onerror = () => {
      lost();
      holding = true;
      // A refused or failed stream is closed for good: open a new one from the last event.
      if (es.readyState === EventSource.CLOSED) setTimeout(() => connect(board.lastEventId), 3000);
    };
    for (const k of cfg.event_kinds) es.addEventListener(k, m => onMessage(k, m));
  }
  // A link that died without a word (a cable pulled) shows within half a minute.
  setInterval(() => { if (board.connected) readState().catch(() => { lost(); connect(board.lastEventId); }); }, 30000);

  // ---- the voice ----
  let ctx = null;
  const queue = [];
  let playing = false;
  function audio() {
    if (!ctx) ctx = new (window.AudioContext || window.webkitAudioContext)();
    return ctx;
  }
  // The lists tests read keep the last 200 entries: a day of calls does not grow the page.
  function keep(list, item) {
    list.push(item);
    if (list.length > 200) list.splice(0, list.length - 200);
  }
  function soundButton() { $('sound').hidden = audio().state === 'running'; }
  function announce(number, counter) {
    keep(board.announced, {number, counter});
    // Sound still locked: the call is shown; nothing is fetched or kept for later.
    if (audio().state !== 'running') { soundButton(); return; }
    queue.push({number, counter, wav: fetch('/voice/call.wav?number=' + encodeURIComponent(number) + '&counter=' + counter).then(r => r.ok ? r.arrayBuffer() : null).catch(() => null)});
    play();
  }
  async function play() {
    if (playing) return;
    playing = true;
    while (queue.length) {
      const a = queue.shift();
      const bytes = await a.wav;
      const ac = audio();
      soundButton();
      if (!bytes || ac.state !== 'running') continue; // no sound yet: shown, the next call speaks
      try {
        const buf = await ac.decodeAudioData(bytes);
        await new Promise(done => {
          const src = ac.createBufferSource();
          src.buffer = buf;
          src.connect(ac.destination);
          src.onended = done;
          src.start();
        });
        keep(board.spoken, {number: a.number, counter: a.counter});
      } catch (err) { /* a clip that cannot be decoded is skipped */ }
    }
    playing = false;
  }
  function unlock() {
    audio().resume().then(() => {
      if (audio().state === 'running') localStorage.setItem('motcua.sound', 'on');
      soundButton();
    });
  }
  $('sound').addEventListener('click', unlock);
  document.addEventListener('pointerdown', unlock);
  if (localStorage.getItem('motcua.sound') === 'on') unlock();
  // The context is made at once: where sound is allowed it runs before the first call.
  audio();
  setTimeout(soundButton, 500);

  render();
  (async () => {
    let from = 0;
    for (;;) {
      try {
        const s = await readState();
        from = s.day_start_event_id ?? s.last_event_id;
        break;
      } catch (err) {
        lost();
        await new Promise(r => setTimeout(r, 3000));
      }
    }
    // The day's calls so far fill the list; they were in the log before: not spoken.
    board.lastEventId = from;
    connect(from);
  })();
})();
