// h builds an element. Text is always set as text, never parsed as HTML:
// names, subjects and messages that hold markup show as what they are.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked" || k === "selected" || k === "multiple" || k === "disabled") el[k] = true;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

// fill replaces the children of el; null, false and nested arrays are
// handled as h does.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// show replaces the content of main and moves the focus to its heading.
export function show(...children) {
  const main = document.getElementById("main");
  main.replaceChildren();
  append(main, children);
  const heading = main.querySelector("h1");
  if (heading) { heading.tabIndex = -1; heading.focus(); }
}

export function announce(text) {
  const s = document.getElementById("status");
  s.textContent = text;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { s.textContent = ""; }, 4000);
}

export function when(t) {
  return t ? new Date(t).toLocaleString() : "—";
}

export function json(v) {
  return h("pre", {}, JSON.stringify(v, null, 2));
}
