// Selecting words in a paragraph fills the comment form's passage and quote.
// The form works without this script: choose the paragraph and type the words.
document.addEventListener("mouseup", function () {
  var form = document.getElementById("comment-form");
  var sel = window.getSelection();
  if (!form || !sel || sel.isCollapsed) return;
  var node = sel.anchorNode && (sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentElement);
  var block = node && node.closest("[data-anchor]");
  if (!block || !block.contains(sel.focusNode)) return;
  form.querySelector("#anchor").value = block.getAttribute("data-anchor");
  form.querySelector("#quote").value = sel.toString().trim();
});
