
(function () {
  "use strict";
  var trials = Array.prototype.slice.call(document.querySelectorAll("details.trial"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("div.task"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.f-outcome"));
  var tag = document.getElementById("f-tag");
  var text = document.getElementById("f-text");
  var shown = document.getElementById("shown");
  function wanted(el, outcomes) {
    if (!outcomes[el.dataset.outcome]) return false;
    if (tag && tag.value && JSON.parse(el.dataset.tags).indexOf(tag.value) < 0) return false;
    var needle = text ? text.value.trim().toLowerCase() : "";
    return !needle || el.dataset.task.toLowerCase().indexOf(needle) >= 0;
  }
  function apply() {
    var outcomes = {}, count = 0;
    boxes.forEach(function (b) { outcomes[b.value] = b.checked; });
    trials.forEach(function (el) { el.hidden = !wanted(el, outcomes); if (!el.hidden) count++; });
    groups.forEach(function (g) { g.hidden = !g.querySelector("details.trial:not([hidden])"); });
    if (shown) shown.textContent = count + " of " + trials.length + " trials shown";
  }
  function showAll() {
    boxes.forEach(function (b) { b.checked = true; });
    if (tag) tag.value = "";
    if (text) text.value = "";
    apply();
  }
  function openTarget() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    var el = id && document.getElementById(id);
    if (!el || !el.classList.contains("trial")) return;
    if (el.hidden) showAll();
    el.open = true;
    el.scrollIntoView({block: "start"});
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  if (tag) tag.addEventListener("change", apply);
  if (text) text.addEventListener("input", apply);
  window.addEventListener("hashchange", openTarget);
  apply();
  openTarget();
})();
