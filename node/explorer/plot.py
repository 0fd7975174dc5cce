"""The explorer's only script: each incident's timeline drawn as an inline SVG from the table
beside it (`data-timeline`). No build step, no library; with JavaScript off the table stays."""

TIMELINE_JS = """
document.querySelectorAll('[data-timeline]').forEach(function (box) {
  var ev = JSON.parse(box.getAttribute('data-timeline'));
  if (!ev.length) return;
  var W = 760, row = 16, H = ev.length * row + 30, L = 230;
  var end = Math.max(1, ev[ev.length - 1].t_ms);
  var ns = 'http://www.w3.org/2000/svg';
  var svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', W); svg.setAttribute('height', H);
  svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', 'incident timeline');
  function el(name, attrs, text) {
    var e = document.createElementNS(ns, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e); return e;
  }
  el('line', {x1: L, y1: H - 20, x2: W - 10, y2: H - 20, stroke: '#888'});
  el('text', {x: L, y: H - 5, 'font-size': 10}, '0 ms');
  el('text', {x: W - 60, y: H - 5, 'font-size': 10}, end + ' ms');
  ev.forEach(function (e, i) {
    var x = L + (W - 10 - L) * e.t_ms / end, y = 12 + i * row;
    el('text', {x: 4, y: y + 4, 'font-size': 11}, e.what);
    el('line', {x1: L, y1: y, x2: x, y2: y, stroke: '#ddd'});
    el('circle', {cx: x, cy: y, r: 4, fill: /included|sent/.test(e.what) ? '#1a7f37' : '#0969da'});
    el('text', {x: Math.min(x + 6, W - 50), y: y + 4, 'font-size': 10}, e.t_ms + ' ms');
  });
  box.appendChild(svg);
});
"""
