// Acts that cannot be undone ask first. A form marked data-confirm shows its question in a
// <dialog>; "yes" posts the form with confirm=yes. Without this script the server answers
// the first post with a page that asks the same question (the second step).
(function () {
  "use strict";
  function text(tag, content, cls) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (cls) el.className = cls;
    return el;
  }

  function ask(form, opener) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    var id = "confirm-title-" + Date.now();
    dialog.setAttribute("aria-labelledby", id);
    var article = document.createElement("article");
    var title = text("h2", form.getAttribute("data-confirm"));
    title.id = id;
    article.appendChild(title);
    article.appendChild(text("p", form.getAttribute("data-confirm-text") || ""));
    var reason = form.querySelector("[name=reason]");
    if (reason && reason.value.trim()) {
      article.appendChild(text("blockquote", reason.value.trim()));
    }
    var footer = document.createElement("footer");
    var no = text("button", form.getAttribute("data-confirm-no") || "Cancel", "secondary");
    no.type = "button";
    var yes = text("button", form.getAttribute("data-confirm-yes") || "OK", "contrast");
    yes.type = "button";
    footer.appendChild(no);
    footer.appendChild(yes);
    article.appendChild(footer);
    dialog.appendChild(article);
    document.body.appendChild(dialog);

    function close() {
      if (dialog.open) dialog.close();
      dialog.remove();
      if (opener && opener.focus) opener.focus();
    }
    no.addEventListener("click", close);
    dialog.addEventListener("cancel", function (e) { e.preventDefault(); close(); });  // Escape
    dialog.addEventListener("click", function (e) { if (e.target === dialog) close(); });
    yes.addEventListener("click", function () {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "confirm";
      input.value = "yes";
      form.appendChild(input);
      yes.disabled = true;
      form.submit();  // not requestSubmit(): this listener must not ask again
    });
    dialog.showModal();
    no.focus();
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-confirm") || typeof HTMLDialogElement !== "function") return;
    if (form.querySelector("input[name=confirm]")) return;
    e.preventDefault();
    ask(form, e.submitter || document.activeElement);
  });
})();
