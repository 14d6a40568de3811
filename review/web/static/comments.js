// Selecting words of a commitment (mouse, or keyboard: Shift+arrows) shows a button beside
// them; it opens the comment form right there, with the passage chosen and the quote shown.
// Escape (or the form's close button) puts the form back. Without this script the form
// works as it is: choose the paragraph and type the words.
(function () {
  "use strict";
  var form = document.getElementById("comment-form");
  var text = document.querySelector(".commitment-body");
  if (!form || !text || !form.querySelector("#anchor")) return;

  var home = document.createComment("the comment form's place");
  form.parentNode.insertBefore(home, form);
  var button = document.createElement("button");
  button.type = "button";
  button.className = "comment-selection";
  button.textContent = form.getAttribute("data-selection-label");
  button.hidden = true;
  var quoteShown = document.createElement("blockquote");
  quoteShown.className = "selection-quote";
  var close = document.createElement("button");
  close.type = "button";
  close.className = "secondary outline close-inline";
  close.textContent = form.getAttribute("data-close-label");
  var chosen = null, timer = null, opener = null, byKeyboard = false;

  function current() {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
    var node = sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentElement;
    var block = node && node.closest("[data-anchor]");
    if (!block || !text.contains(block) || !block.contains(sel.focusNode)) return null;
    var quote = sel.toString().replace(/\s+/g, " ").trim();
    if (!quote) return null;
    return {anchor: block.getAttribute("data-anchor"), quote: quote.slice(0, 2000), block: block,
            rect: sel.getRangeAt(0).getBoundingClientRect()};
  }

  function show() {
    var s = current();
    if (!s) {
      if (document.activeElement !== button) button.hidden = true;
      return;
    }
    chosen = s;
    var box = s.block.closest(".block") || s.block.parentElement;
    if (button.parentElement !== box) box.appendChild(button);  // next in Tab order after the words
    button.hidden = false;
    var outer = box.getBoundingClientRect();
    var left = Math.max(0, Math.min(s.rect.left - outer.left, box.clientWidth - button.offsetWidth));
    button.style.top = (s.rect.bottom - outer.top + 4) + "px";
    button.style.left = left + "px";
  }

  function open() {
    chosen = current() || chosen;  // the selection as it is now, not as the last change left it
    if (!chosen) return;
    opener = chosen.block;
    var box = chosen.block.closest(".block") || chosen.block.parentElement;
    form.querySelector("#anchor").value = chosen.anchor;
    form.querySelector("#quote").value = chosen.quote;
    quoteShown.textContent = chosen.quote;
    var heading = form.querySelector("h3");
    (heading || form.firstChild).after(quoteShown);
    if (!close.parentElement) form.appendChild(close);
    form.classList.add("inline-comment");
    box.after(form);
    button.hidden = true;
    form.querySelector("#body").focus();
  }

  function shut() {
    if (!form.classList.contains("inline-comment")) return;
    form.classList.remove("inline-comment");
    quoteShown.remove();
    close.remove();
    home.after(form);
    if (opener) {
      if (!opener.hasAttribute("tabindex")) opener.setAttribute("tabindex", "-1");
      opener.focus();
    }
  }

  document.addEventListener("selectionchange", function () {
    clearTimeout(timer);
    timer = setTimeout(show, 120);
  });
  button.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep the selection
  button.addEventListener("click", open);
  close.addEventListener("click", shut);
  document.addEventListener("mousedown", function () { byKeyboard = false; });
  document.addEventListener("keydown", function (e) {
    if (e.shiftKey && /^(Arrow|Home|End|Page)/.test(e.key)) byKeyboard = true;
    if (e.key === "Tab" && !e.shiftKey && byKeyboard && !button.hidden && document.activeElement !== button) {
      e.preventDefault();  // words just selected with the keyboard: Tab goes on to their button
      byKeyboard = false;
      button.focus();
      return;
    }
    if (e.key !== "Escape") return;
    if (form.classList.contains("inline-comment") && form.contains(document.activeElement)) {
      shut();
    } else if (!button.hidden) {
      button.hidden = true;
    }
  });
})();
