// Template studio: CodeMirror over the MJML textarea, live-preview wiring, width toggle,
// error line markers, "go to line" links and variable insertion. Without JavaScript the page
// is a plain form that still saves and shows errors.
(function () {
  "use strict";
  var editor = null;
  var marked = [];

  function form() { return document.getElementById("studio-form"); }

  function changed() {
    var f = form();
    if (f) f.dispatchEvent(new CustomEvent("studio-change", { bubbles: true }));
  }

  function setupEditor() {
    var textarea = document.getElementById("body_mjml");
    if (!textarea || !window.CodeMirror || editor) return;
    CodeMirror.defineMode("mjml-jinja", function (config) {
      return CodeMirror.overlayMode(CodeMirror.getMode(config, "xml"), CodeMirror.getMode(config, "jinja2"));
    });
    editor = CodeMirror.fromTextArea(textarea, {
      mode: "mjml-jinja",
      lineNumbers: true,
      lineWrapping: true,
      indentUnit: 2,
      tabSize: 2,
      readOnly: textarea.hasAttribute("readonly"),
      viewportMargin: 50,
      screenReaderLabel: "MJML body",
      extraKeys: {
        // Tab leaves the editor for keyboard users; Ctrl/Cmd-] indents instead.
        "Tab": false, "Shift-Tab": false,
        "Ctrl-]": "indentMore", "Cmd-]": "indentMore", "Ctrl-[": "indentLess", "Cmd-[": "indentLess"
      }
    });
    editor.on("change", function () { editor.save(); changed(); });
    markErrors();
  }

  function markErrors() {
    if (!editor) return;
    marked.forEach(function (line) { editor.removeLineClass(line, "background", "cm-error-line"); });
    marked = [];
    document.querySelectorAll("#preview [data-error-line], #save-errors [data-error-line]").forEach(function (el) {
      var n = parseInt(el.getAttribute("data-error-line"), 10);
      if (n > 0 && n <= editor.lineCount()) {
        marked.push(editor.addLineClass(n - 1, "background", "cm-error-line"));
      }
    });
  }

  function gotoLine(n) {
    if (editor) {
      editor.focus();
      editor.setCursor({ line: n - 1, ch: 0 });
      editor.scrollIntoView({ line: n - 1, ch: 0 }, 80);
    } else {
      var textarea = document.getElementById("body_mjml");
      var lines = textarea.value.split("\n").slice(0, n - 1).join("\n").length;
      textarea.focus();
      textarea.setSelectionRange(lines + 1, lines + 1);
    }
  }

  function insert(text) {
    if (editor) { editor.replaceSelection(text); editor.focus(); return; }
    var textarea = document.getElementById("body_mjml");
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    textarea.setRangeText(text, start, end, "end");
    textarea.focus();
    changed();
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) return;
    var goto = target.closest("[data-goto-line]");
    if (goto) { gotoLine(parseInt(goto.getAttribute("data-goto-line"), 10)); return; }
    var ins = target.closest("[data-insert]");
    if (ins) { insert(ins.getAttribute("data-insert")); return; }
    var width = target.closest(".studio-toggle [data-width]");
    if (width) {
      document.getElementById("preview-shell").setAttribute("data-width", width.getAttribute("data-width"));
      width.parentNode.querySelectorAll("[data-width]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === width));
      });
    }
  });

  // The visual editor (visual.js) reads and writes the same source through this.
  window.HeraldStudio = {
    getSource: function () {
      return editor ? editor.getValue() : document.getElementById("body_mjml").value;
    },
    setSource: function (text) {
      if (window.HeraldStudio.getSource() === text) return;
      if (editor) { editor.setValue(text); return; }  // its change handler saves and previews
      document.getElementById("body_mjml").value = text;
      changed();
    },
    refresh: function () { if (editor) editor.refresh(); }
  };

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "preview") markErrors();
  });
  document.addEventListener("submit", function () { if (editor) editor.save(); }, true);

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setupEditor);
  else setupEditor();
})();

// Brand settings: keep each colour picker and its text field in step.
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-colour-for]")) {
      var text = document.getElementById(el.getAttribute("data-colour-for"));
      text.value = el.value;
    } else if (el.matches && el.matches(".colour-field input[type=text]") && /^#[0-9a-fA-F]{6}$/.test(el.value)) {
      var picker = el.parentNode.querySelector("[data-colour-for]");
      if (picker) picker.value = el.value;
    }
  });
})();
