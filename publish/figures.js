// Interactive figures of the diffusion blog (publish/figures.py writes the data). Plain JS, no
// framework, no network: the data is embedded in the page, images are local PNG sprite sheets, so a
// figure works from file:// and from any static host. One <input type=range> (arrow keys, Home/End,
// PageUp/PageDown) picks the frame; every panel, number and table cell is redrawn for it.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("figure-data").textContent);
  const theme = D.theme;
  const slider = document.getElementById("slider");
  const out = document.getElementById("step");
  const values = D.slider.values;

  function f32(b64) {                    // base64 of little-endian float32 -> Float32Array
    const bin = atob(b64), u8 = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    return new Float32Array(u8.buffer);
  }
  const fmt = (v, d) => (v === null || v === undefined) ? "—" : Number(v).toFixed(d);
  const gray = (v, lo, hi) => Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255);
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function panelBox(p, w, h) {
    const box = el("div", {class: "panel"});
    box.appendChild(el("h2", {style: "color:" + (p.color || theme.text)}, p.title));
    const c = el("canvas", {width: w, height: h, role: "img", "aria-label": p.title});
    box.appendChild(c);
    document.getElementById("panels").appendChild(box);
    return c;
  }

  // --- panels: each returns draw(frame) -------------------------------------------------------
  const kinds = {
    // images per frame from a sprite sheet: row = frame, column = sample; drawn as a column of tiles
    sprite(p) {
      const [h, w] = p.tile, s = p.scale, gap = 6, th = h * s;
      const c = panelBox(p, w * s, p.count * (th + gap) - gap), g = c.getContext("2d");
      const img = new Image();
      let frame = 0;
      const draw = (f) => {
        frame = f;
        g.imageSmoothingEnabled = false;
        g.fillStyle = theme.bg; g.fillRect(0, 0, c.width, c.height);
        const row = p.rows[f];
        for (let i = 0; i < p.count; i++) {
          const y = i * (th + gap);
          if (row < 0) {                 // nothing predicted at this frame (e.g. t = 0)
            g.strokeStyle = theme.grid; g.strokeRect(0.5, y + 0.5, w * s - 1, th - 1);
            g.fillStyle = theme.muted; g.font = "20px sans-serif"; g.textAlign = "center";
            g.fillText("—", w * s / 2, y + th / 2 + 7);
          } else if (img.complete && img.naturalWidth) {
            g.drawImage(img, i * w, row * h, w, h, 0, y, w * s, th);
          }
        }
      };
      img.onload = () => draw(frame);
      img.src = p.src;
      return {draw, canvas: c, image: img};
    },
    // a linear combination of fixed images with per-frame coefficients, computed here for every t
    mix(p) {
      const [h, w] = p.shape, s = p.scale;
      const c = panelBox(p, w * s, h * s), g = c.getContext("2d");
      const base = p.base.map(f32);
      const small = el("canvas", {width: w, height: h}), sg = small.getContext("2d");
      const im = sg.createImageData(w, h);
      const values = new Float64Array(w * h);
      const coef = (k, f) => Array.isArray(p.coefs[k]) ? p.coefs[k][f] : p.coefs[k];
      return {
        canvas: c, values,
        draw(f) {
          const a = base.map((_, k) => coef(k, f));
          for (let i = 0; i < w * h; i++) {
            let v = 0;
            for (let k = 0; k < base.length; k++) v += a[k] * base[k][i];
            values[i] = v;
            const q = gray(v, p.range[0], p.range[1]);
            im.data[4 * i] = im.data[4 * i + 1] = im.data[4 * i + 2] = q; im.data[4 * i + 3] = 255;
          }
          sg.putImageData(im, 0, 0);
          g.imageSmoothingEnabled = false;
          g.drawImage(small, 0, 0, w * s, h * s);
        }
      };
    },
    // particles on a line per frame, a histogram of all of them and curves (an exact density)
    particles(p) {
      const W = 640, H = 350, padL = 40, padB = 34, stripH = 54, top = 34;
      const c = panelBox(p, W, H), g = c.getContext("2d");
      const pts = f32(p.points), n = p.n;
      const curves = p.curves.map(cv => ({...cv, y: f32(cv.ys)}));
      const [x0, x1] = p.xrange;
      const X = (x) => padL + (x - x0) / (x1 - x0) * (W - padL - 10);
      const plotB = H - padB - stripH;                       // bottom of the density plot
      const Y = (d) => plotB - Math.min(d, p.ymax) / p.ymax * (plotB - top);
      // a fixed vertical jitter per particle (golden-ratio sequence), so dots do not hide each other
      const jitter = Array.from({length: n}, (_, i) => (i * 0.6180339887) % 1);
      return {
        canvas: c, points: pts,
        draw(f) {
          g.fillStyle = theme.bg; g.fillRect(0, 0, W, H);
          g.strokeStyle = theme.grid; g.lineWidth = 1;
          g.beginPath(); g.moveTo(padL, plotB + 0.5); g.lineTo(W - 10, plotB + 0.5); g.stroke();
          g.fillStyle = theme.muted; g.font = "12px sans-serif"; g.textAlign = "center";
          for (let x = Math.ceil(x0); x <= x1; x++) g.fillText(String(x), X(x), H - 10);
          g.fillText("x", W - 16, H - 10);
          const hs = p.hist, bw = hs.edges[1] - hs.edges[0];
          g.globalAlpha = 0.45; g.fillStyle = hs.color;
          hs.counts[f].forEach((k, b) => {
            if (!k) return;
            const d = k / (hs.total * bw), xa = X(hs.edges[b]), xb = X(hs.edges[b + 1]);
            g.fillRect(xa + 0.5, Y(d), xb - xa - 1, plotB - Y(d));
          });
          g.globalAlpha = 1;
          // legend: one row above the plot, swatch then label, left to right
          let lx = padL;
          const legend = (label, color, dash, box) => {
            g.strokeStyle = g.fillStyle = color; g.lineWidth = 2.5; g.setLineDash(dash ? [6, 5] : []);
            if (box) { g.globalAlpha = 0.45; g.fillRect(lx, 8, 22, 10); g.globalAlpha = 1; }
            else { g.beginPath(); g.moveTo(lx, 13); g.lineTo(lx + 22, 13); g.stroke(); }
            g.setLineDash([]); g.font = "13px sans-serif"; g.textAlign = "left";
            g.fillText(label, lx + 28, 18);
            lx += 28 + g.measureText(label).width + 18;
          };
          for (const cv of curves) legend(cv.label, cv.color, cv.dash, false);
          legend(hs.label, hs.color, false, true);
          for (const cv of curves) {
            const row = cv.rows === 1 ? 0 : f, m = cv.xs.length;
            g.strokeStyle = cv.color; g.lineWidth = 2.5; g.setLineDash(cv.dash ? [6, 5] : []);
            g.beginPath();
            for (let i = 0; i < m; i++) {
              const px = X(cv.xs[i]), py = Y(cv.y[row * m + i]);
              if (i) g.lineTo(px, py); else g.moveTo(px, py);
            }
            g.stroke(); g.setLineDash([]);
          }
          g.fillStyle = p.color;
          for (let i = 0; i < n; i++) {
            const x = pts[f * n + i];
            if (x < x0 || x > x1) continue;
            g.beginPath(); g.arc(X(x), plotB + 8 + jitter[i] * (stripH - 12), 2.2, 0, 2 * Math.PI); g.fill();
          }
        }
      };
    }
  };
  const panels = D.panels.map(p => kinds[p.type](p));

  // --- numbers, formula, table ----------------------------------------------------------------
  const dl = document.getElementById("numbers");
  const numberCells = D.numbers.map(nm => {
    dl.appendChild(el("dt", {}, nm.label));
    const dd = el("dd", {"data-label": nm.label}); dl.appendChild(dd);
    const bar = el("div", {class: "bar", style: "background:" + (nm.color || theme.muted)});
    const wrap = el("div"); if (nm.bar) wrap.appendChild(bar); dl.appendChild(wrap);
    return {nm, dd, bar};
  });
  const formula = document.getElementById("formula");
  if (D.formula) formula.hidden = false;
  let cells = null;
  if (D.table) {
    const t = D.table, table = el("table");
    table.appendChild(el("caption", {}, t.caption));
    const head = el("tr"); head.appendChild(el("th"));
    t.columns.forEach(cn => head.appendChild(el("th", {scope: "col"}, cn)));
    table.appendChild(head);
    cells = t.rows.map(rn => {
      const tr = el("tr"); tr.appendChild(el("th", {scope: "row"}, rn));
      const tds = t.columns.map(() => { const td = el("td"); tr.appendChild(td); return td; });
      table.appendChild(tr); return tds;
    });
    document.getElementById("table").appendChild(table);
  }

  function show(f) {
    f = Math.max(0, Math.min(values.length - 1, f | 0));
    const text = D.slider.symbol + " = " + values[f];
    out.textContent = text;
    slider.setAttribute("aria-valuetext", text);
    panels.forEach(p => p.draw(f));
    const shown = numberCells.map(({nm, dd, bar}) => {
      const v = nm.values[f];
      dd.textContent = fmt(v, nm.digits) + (nm.suffix || "");
      bar.style.width = (Math.max(0, Math.min(1, v)) * 100).toFixed(1) + "%";
      return fmt(v, nm.digits);
    });
    if (D.formula) formula.innerHTML = D.formula.replace(/\{(\d+)\}/g, (_, i) => shown[+i]);
    if (cells) cells.forEach((tds, r) => tds.forEach((td, k) => { td.textContent = fmt(D.table.cells[f][r][k], D.table.digits); }));
    document.body.dataset.frame = f;
    document.body.dataset.step = values[f];
    window.figure.frame = f;
  }
  window.figure = {data: D, panels, frame: 0, show: (f) => { slider.value = f; show(f); }};
  slider.addEventListener("input", () => show(+slider.value));

  // Play walks through the frames; any key on the slider or a second press stops it
  const play = document.getElementById("play");
  let timer = null;
  function stop() { clearInterval(timer); timer = null; play.textContent = "Play"; play.setAttribute("aria-pressed", "false"); }
  play.addEventListener("click", () => {
    if (timer) return stop();
    if (+slider.value >= values.length - 1) { slider.value = 0; }
    play.textContent = "Pause"; play.setAttribute("aria-pressed", "true");
    timer = setInterval(() => {
      const f = +slider.value + 1;
      if (f >= values.length) return stop();
      slider.value = f; show(f);
    }, 60);
  });
  slider.addEventListener("keydown", stop);
  show(+slider.value);
})();
