// The rating tablet of one counter. Between citizens it is the counter's own screen (its name,
// the officer, the number served); when the officer presses "Hoàn thành" it asks the citizen
// for a mark for `[rating] seconds`, and for a reason when the mark is low.
'use strict';
(() => {
  const cfg = JSON.parse(document.getElementById('config').textContent);
  const $ = id => document.getElementById(id);
  const rate = window.motcuaRate = {view: 'idle', connected: false};
  let state = null;
  let deadline = 0; // when the rating screen goes back to idle (this device's clock)
  let done = new Set(); // tickets rated here (or refused): not asked again
  let score = 0;
  let back = null;

  function show(view) {
    rate.view = view;
    for (const v of ['idle', 'ask', 'reason', 'thanks']) $(v).hidden = v !== view;
  }
  function idle() {
    const s = state;
    $('officer').textContent = s && s.officer ? 'Cán bộ: ' + s.officer : 'Chưa có cán bộ đăng nhập';
    $('serving').textContent = s && s.current ? s.current.number : '—';
    $('serving-label').textContent = s && s.current ? 'Đang phục vụ số' : 'Chưa gọi số';
    show('idle');
  }
  function toRate() {
    return state && state.to_rate && state.seconds_left > 0 && !done.has(state.to_rate.id) ? state.to_rate : null;
  }
  function decide() {
    const t = toRate();
    if (rate.view === 'thanks') return;
    if (!t) { idle(); return; }
    if (rate.view === 'idle' || $('ask').dataset.ticket !== String(t.id)) {
      deadline = Date.now() + state.seconds_left * 1000;
      $('ask').dataset.ticket = t.id;
      $('ask-number').textContent = t.number;
      show('ask');
    }
  }
  function tick() {
    if ((rate.view === 'ask' || rate.view === 'reason') && Date.now() >= deadline) {
      const t = $('ask').dataset.ticket;
      if (t) done.add(Number(t));
      idle();
    }
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    for (const el of document.querySelectorAll('.left')) el.textContent = left + ' giây';
  }
  setInterval(tick, 250);

  async function send(reason) {
    const ticket = Number($('ask').dataset.ticket);
    if (done.size > 500) done = new Set();
    done.add(ticket);
    let text = 'Cảm ơn ông/bà đã đánh giá!';
    try {
      const r = await fetch('/api/rate/' + cfg.counter, {method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-Motcua-Device': '1'},
        body: JSON.stringify({ticket, score, reason})});
      if (!r.ok) text = (await r.json()).error || 'Không ghi được đánh giá';
    } catch (err) {
      text = 'Mất kết nối với máy chủ: chưa ghi được đánh giá';
    }
    $('thanks-text').textContent = text;
    show('thanks');
    clearTimeout(back);
    back = setTimeout(() => { show('idle'); read(); }, cfg.thanks_ms);
  }
  for (const b of document.querySelectorAll('#ask button[data-score]')) {
    b.addEventListener('click', () => {
      score = Number(b.dataset.score);
      if (score <= cfg.ask_reason_at_or_below) show('reason'); else send(null);
    });
  }
  for (const b of document.querySelectorAll('#reason button[data-reason]')) {
    b.addEventListener('click', () => send(b.dataset.reason));
  }

  async function read() {
    try {
      const r = await fetch('/api/rate/' + cfg.counter, {cache: 'no-store'});
      if (!r.ok) throw new Error('rate ' + r.status);
      state = await r.json();
      rate.connected = true;
      $('offline').hidden = true;
      decide();
    } catch (err) {
      rate.connected = false;
      $('offline').hidden = false;
    }
  }
  let es = null;
  function connect() {
    if (es) es.close();
    es = new EventSource('/api/events');
    es.onopen = read;
    es.onerror = () => {
      rate.connected = false;
      $('offline').hidden = false;
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    };
    for (const k of cfg.event_kinds) es.addEventListener(k, read);
  }
  setInterval(() => { if (rate.connected) read(); }, 30000);
  idle();
  connect();
})();
