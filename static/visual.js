// Template studio, visual mode: arrange blocks (buttons or drag and drop), type in place,
// insert placeholders from a picker. Every change writes the canonical MJML (HeraldBlocks)
// into the studio's source, so the preview, validation, saving and versions are the code
// mode's own. Needs blocks.js, uploads.js and studio.js (window.HeraldStudio).
(function () {
  "use strict";
  var B = window.HeraldBlocks;
  var root, list, announcer, notice, model = [], nextId = 1, dragging = null, removed = null;

  var TYPES = {
    heading: { label: "Heading", icon: "H", make: function () { return { level: 1, html: "" }; } },
    text: { label: "Text", icon: "¶", make: function () { return { html: "" }; } },
    button: { label: "Button", icon: "▭", make: function () { return { html: "Choose a time", href: "{{ invite_url }}" }; } },
    image: { label: "Image", icon: "▨", make: function () { return { src: "", alt: "", width: "" }; } },
    divider: { label: "Divider", icon: "―", make: function () { return {}; } },
    spacer: { label: "Spacer", icon: "↕", make: function () { return { height: 32 }; } },
    columns: { label: "Two columns", icon: "▥", make: function () { return { columns: [[], []] }; } },
    interview: { label: "Interview details", icon: "◷", make: function () { return {}; } },
    signature: { label: "Signature", icon: "✍", make: function () { return { closing: "Kind regards,", name: "{{ sender_name }}" }; } }
  };
  var TOP_TYPES = ["heading", "text", "button", "image", "divider", "spacer", "columns", "interview", "signature"];
  var COLUMN_TYPES = ["heading", "text", "button", "image", "spacer"];
  var WIDTHS = [["", "Full width"], ["400", "400 px"], ["300", "300 px"], ["200", "200 px"], ["120", "120 px"]];
  var HEIGHTS = [[16, "Small (16 px)"], [32, "Medium (32 px)"], [48, "Large (48 px)"]];

  // ---- small DOM helpers ---------------------------------------------------------------------

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") el.textContent = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) { if (c) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return el;
  }
  function uid(prefix) { return prefix + "-" + (nextId++); }
  function say(text) { announcer.textContent = ""; window.setTimeout(function () { announcer.textContent = text; }, 30); }
  function withIds(blocks) {
    return blocks.map(function (b) {
      b.id = uid("vb");
      if (b.type === "columns") b.columns = b.columns.map(withIds);
      return b;
    });
  }

  // ---- model -> source -------------------------------------------------------------------------

  function emit() { window.HeraldStudio.setSource(B.toMJML(model)); }

  // ---- editable text with placeholder chips ------------------------------------------------------

  function chip(expr) {
    return h("span", { "class": "vchip", contenteditable: "false", "data-ph": expr, text: B.placeholderLabel(expr) });
  }

  // Fill an editable from canonical HTML: placeholders become chips, styles are dropped.
  function fill(el, html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var walker = document.createTreeWalker(tpl.content, NodeFilter.SHOW_TEXT), texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    texts.forEach(function (t) {
      var parts = t.data.split(/(\{\{ [a-z_.|]+ \}\})/);
      if (parts.length === 1) return;
      var frag = document.createDocumentFragment();
      parts.forEach(function (p) {
        var m = /^\{\{ ([a-z_.|]+) \}\}$/.exec(p);
        frag.appendChild(m && B.placeholderLabel(m[1]) ? chip(m[1]) : document.createTextNode(p));
      });
      t.parentNode.replaceChild(frag, t);
    });
    tpl.content.querySelectorAll("[style]").forEach(function (n) { n.removeAttribute("style"); });
    el.textContent = "";
    el.appendChild(tpl.content);
  }

  function editable(opts) {
    var el = h("div", {
      "class": "vedit" + (opts.rich ? " vedit-rich" : " vedit-line") + (opts.className ? " " + opts.className : ""),
      contenteditable: "true", role: "textbox", "aria-multiline": opts.rich ? "true" : "false",
      "aria-label": opts.label, "data-empty": opts.empty || "", spellcheck: "true"
    });
    fill(el, opts.html || "");
    el.addEventListener("input", function () { opts.change(opts.rich ? B.sanitizeRich(el) : B.sanitizeInline(el)); markEmpty(el); });
    el.addEventListener("keydown", function (e) {
      if (!opts.rich && e.key === "Enter") e.preventDefault();
      if (opts.rich && (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") { e.preventDefault(); if (opts.onLink) opts.onLink(); }
    });
    el.addEventListener("paste", function (e) {  // paste as text: formatting comes from the toolbar
      e.preventDefault();
      document.execCommand("insertText", false, (e.clipboardData || window.clipboardData).getData("text/plain"));
    });
    markEmpty(el);
    return el;
  }
  function markEmpty(el) { el.classList.toggle("is-empty", !el.textContent.trim() && !el.querySelector("[data-ph]")); }

  var saved = null;  // the last caret position inside an editable: pickers insert there
  document.addEventListener("selectionchange", function () {
    var sel = window.getSelection();
    if (!sel.rangeCount) return;
    var node = sel.anchorNode, host = node && (node.nodeType === 1 ? node : node.parentNode).closest(".vedit");
    if (!host) return;
    saved = { host: host, range: sel.getRangeAt(0).cloneRange() };
    host.parentNode.querySelectorAll("[data-cmd]").forEach(function (b) {  // say what is on
      b.setAttribute("aria-pressed", String(document.queryCommandState(b.getAttribute("data-cmd"))));
    });
  });
  function restore(host) {
    host.focus();
    var sel = window.getSelection(), range;
    if (saved && saved.host === host && host.contains(saved.range.startContainer)) range = saved.range;
    else { range = document.createRange(); range.selectNodeContents(host); range.collapse(false); }
    sel.removeAllRanges();
    sel.addRange(range);
    return range;
  }
  function insertNode(host, node) {
    var range = restore(host);
    range.deleteContents();
    var space = document.createTextNode("\u200b");  // a place for the caret after the chip (dropped when written)
    range.insertNode(space);
    range.insertNode(node);
    range.setStartAfter(space);
    range.collapse(true);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    host.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function placeholderPicker(host, label, withLinks) {
    var id = uid("vph");
    var select = h("select", { id: id, "class": "vpick" }, [h("option", { value: "", text: "Placeholder…" })]);
    B.PLACEHOLDERS.forEach(function (g) {
      select.appendChild(h("optgroup", { label: g.group }, g.items.map(function (i) { return h("option", { value: "ph:" + i[0], text: i[1] }); })));
    });
    if (withLinks) {
      select.appendChild(h("optgroup", { label: "Links" }, B.LINKS.map(function (l) { return h("option", { value: "link:" + l[0], text: l[1] }); })));
    }
    var insert = h("button", { type: "button", "class": "vtool", text: "Insert", "aria-label": "Insert the chosen placeholder into " + label,
      onclick: function () {
        var v = select.value;
        if (!v) { say("Choose a placeholder first."); select.focus(); return; }
        if (v.slice(0, 3) === "ph:") insertNode(host(), chip(v.slice(3)));
        else insertLink(host(), v.slice(5));
        say(select.options[select.selectedIndex].text + " inserted.");
        select.value = "";
      } });
    return h("span", { "class": "vpicker" }, [h("label", { "for": id, "class": "visually-hidden", text: "Placeholder to insert into " + label }), select, insert]);
  }

  function insertLink(host, href) {
    var range = restore(host);
    var a = h("a", { href: href });
    if (range.collapsed) a.textContent = B.linkLabel(href) || href;
    else a.appendChild(range.extractContents());
    range.insertNode(a);
    range.setStartAfter(a);
    range.collapse(true);
    host.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function removeLink(host) {
    restore(host);
    var node = window.getSelection().anchorNode;
    var a = node && (node.nodeType === 1 ? node : node.parentNode).closest("a");
    if (!a || !host.contains(a)) return false;
    while (a.firstChild) a.parentNode.insertBefore(a.firstChild, a);
    a.remove();
    host.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  function linkChoice(idBase, current, onChange) {
    var known = current === "" || B.linkLabel(current);
    var select = h("select", { id: idBase + "-target" }, B.LINKS.map(function (l) {
      return h("option", { value: l[0], text: l[1], selected: l[0] === current });
    }).concat([h("option", { value: "other", text: "Another address…", selected: !known })]));
    var input = h("input", { type: "url", id: idBase + "-url", value: known ? "" : current, placeholder: "https://", inputmode: "url", "aria-describedby": idBase + "-err" });
    var error = h("p", { "class": "field-error", id: idBase + "-err", role: "alert" });
    var other = h("div", { "class": "vfield", hidden: !!known }, [h("label", { "for": idBase + "-url", text: "Address" }), input, error]);
    function value() { return select.value === "other" ? input.value.trim() : select.value; }
    function check() {
      var v = value(), ok = !!B.cleanHref(v);
      error.textContent = ok || !v ? "" : "Use an address that starts with https://, http:// or mailto:.";
      return ok;
    }
    select.addEventListener("change", function () { other.hidden = select.value !== "other"; if (onChange && check()) onChange(value()); });
    input.addEventListener("input", function () { if (onChange && check()) onChange(value()); });
    return { select: select, other: other, value: value, check: check };
  }

  // ---- one editor per block type ------------------------------------------------------------------

  function richEditor(block, name) {
    var linkRow, host = editable({ rich: true, html: block.html, label: name, empty: "Type your text…",
      change: function (html) { block.html = html; emit(); }, onLink: function () { toggleLinkRow(true); } });
    function command(cmd, label) {
      return h("button", { type: "button", "class": "vtool", "aria-label": label, title: label, "data-cmd": cmd, "aria-pressed": "false",
        onmousedown: function (e) { e.preventDefault(); },
        onclick: function () { restore(host); document.execCommand(cmd, false, null); host.dispatchEvent(new Event("input", { bubbles: true })); } },
        [h("span", { "aria-hidden": "true", text: { bold: "B", italic: "I", insertUnorderedList: "• List", insertOrderedList: "1. List" }[cmd] })]);
    }
    var idBase = uid("vlink");
    var choice = linkChoice(idBase, "{{ invite_url }}");
    linkRow = h("div", { "class": "vlinkrow", hidden: true, role: "group", "aria-label": "Link" }, [
      h("div", { "class": "vfield" }, [h("label", { "for": idBase + "-target", text: "Link to" }), choice.select]), choice.other,
      h("button", { type: "button", "class": "vtool", text: "Apply link", onclick: function () {
        if (!choice.check()) { choice.other.querySelector("input").focus(); return; }
        insertLink(host, B.cleanHref(choice.value())); toggleLinkRow(false); say("Link added.");
      } }),
      h("button", { type: "button", "class": "vtool", text: "Remove link", onclick: function () {
        say(removeLink(host) ? "Link removed." : "Put the cursor in a link to remove it."); toggleLinkRow(false);
      } }),
      h("button", { type: "button", "class": "vtool", text: "Cancel", onclick: function () { toggleLinkRow(false); host.focus(); } })
    ]);
    function toggleLinkRow(open) { linkRow.hidden = !open; if (open) choice.select.focus(); }
    var bar = h("div", { "class": "vtoolbar", role: "toolbar", "aria-label": "Formatting of " + name }, [
      command("bold", "Bold"), command("italic", "Italic"),
      h("button", { type: "button", "class": "vtool", "aria-label": "Link", title: "Link (Ctrl+K)", onmousedown: function (e) { e.preventDefault(); },
        onclick: function () { toggleLinkRow(linkRow.hidden); } }, [h("span", { "aria-hidden": "true", text: "Link" })]),
      command("insertUnorderedList", "Bulleted list"), command("insertOrderedList", "Numbered list"),
      placeholderPicker(function () { return host; }, name, true)
    ]);
    return [bar, linkRow, host];
  }

  function lineEditor(block, key, label, empty) {
    var host = editable({ html: block[key], label: label, empty: empty, change: function (html) { block[key] = html; emit(); } });
    return { host: host, picker: placeholderPicker(function () { return host; }, label, false) };
  }

  function field(label, control, hint) {
    if (!control.id) control.id = uid("vf");
    return h("div", { "class": "vfield" }, [h("label", { "for": control.id, text: label }), control, hint ? h("p", { "class": "hint", text: hint }) : null]);
  }

  function select(options, current, change) {
    var el = h("select", {}, options.map(function (o) { return h("option", { value: o[0], text: o[1], selected: String(o[0]) === String(current) }); }));
    el.addEventListener("change", function () { change(el.value); });
    return el;
  }

  var EDITORS = {
    heading: function (b, name) {
      var line = lineEditor(b, "html", name + " text", "Type a heading…");
      line.host.classList.add("vheading-" + b.level);
      var size = select([[1, "Title"], [2, "Subtitle"]], b.level, function (v) {
        line.host.classList.remove("vheading-" + b.level); b.level = parseInt(v, 10); line.host.classList.add("vheading-" + b.level); emit();
      });
      return [h("div", { "class": "vrow" }, [field("Size", size), line.picker]), line.host];
    },
    text: function (b, name) { return richEditor(b, name); },
    button: function (b, name) {
      var line = lineEditor(b, "html", name + " label", "Button label…");
      line.host.classList.add("vbutton-label");
      var idBase = uid("vbtn");
      var choice = linkChoice(idBase, b.href, function (v) { b.href = B.cleanHref(v); emit(); });
      return [h("div", { "class": "vbutton-wrap" }, [line.host]), line.picker,
        h("div", { "class": "vrow" }, [h("div", { "class": "vfield" }, [h("label", { "for": idBase + "-target", text: "Button opens" }), choice.select]), choice.other])];
    },
    image: function (b, name) {
      var img = h("img", { "class": "vimage-preview", alt: "", src: b.src || null, hidden: !b.src });
      var empty = h("p", { "class": "vimage-empty", hidden: !!b.src, text: "No image yet: upload one or give its address. Until then the block is left out of the email." });
      var status = h("p", { "class": "hint", role: "status", "aria-live": "polite" });
      var file = h("input", { type: "file", accept: "image/png,image/jpeg,image/gif,image/webp" });
      var url = h("input", { type: "url", value: b.src, placeholder: "https://", inputmode: "url" });
      function setSrc(src) { b.src = src; img.src = src; img.hidden = !src; empty.hidden = !!src; emit(); }
      file.addEventListener("change", function () {
        if (!file.files.length) return;
        status.textContent = "Uploading " + file.files[0].name + "…";
        window.HeraldUpload.upload(root.getAttribute("data-upload-url"), file.files[0]).then(function (data) {
          url.value = data.url; setSrc(data.url);
          status.textContent = "Uploaded: " + data.width + " × " + data.height + " px.";
        }, function (error) { status.textContent = error.message; });
      });
      url.addEventListener("change", function () {
        var v = url.value.trim();
        if (v && !/^https?:\/\/\S+$/.test(v)) { status.textContent = "Use an address that starts with https://."; return; }
        status.textContent = ""; setSrc(v);
      });
      var alt = h("input", { type: "text", value: b.alt, maxlength: "300" });
      alt.addEventListener("input", function () { b.alt = alt.value; emit(); });
      var width = select(WIDTHS, b.width, function (v) { b.width = v ? parseInt(v, 10) : ""; emit(); });
      return [h("div", { "class": "vimage" }, [img, empty]),
        h("div", { "class": "vrow" }, [field("Upload an image", file, "PNG, JPEG, GIF or WebP, up to 5 MB."), field("or its address", url)]),
        status,
        h("div", { "class": "vrow" }, [field("Description for people who cannot see it", alt, "Leave empty for a purely decorative image."), field("Width", width)])];
    },
    divider: function () { return [h("hr", { "class": "vdivider" })]; },
    spacer: function (b) {
      var space = h("div", { "class": "vspace", "aria-hidden": "true" });
      space.style.height = b.height + "px";
      return [field("Height", select(HEIGHTS, b.height, function (v) { b.height = parseInt(v, 10); space.style.height = v + "px"; emit(); })), space];
    },
    interview: function () {
      return [h("div", { "class": "vinterview" }, [
        h("p", {}, [h("strong", { text: "When: " }), "interview date, time (time zone)"]),
        h("p", {}, [h("strong", { text: "Length: " }), "interview length"]),
        h("p", {}, [h("strong", { text: "Where: " }), "location and video call link, when the interview has them"]),
        h("p", { "class": "hint", text: "Filled in from each candidate's interview. Without a time yet it says they choose the time." })])];
    },
    signature: function (b, name) {
      var closing = lineEditor(b, "closing", name + " closing line", "Kind regards,");
      var who = lineEditor(b, "name", name + " name", "Your name");
      return [h("div", { "class": "vsignature" }, [closing.host, who.host]), h("div", { "class": "vrow" }, [who.picker])];
    },
    columns: function (b, name) {
      return [h("div", { "class": "vcolumns" }, b.columns.map(function (col, i) {
        var label = (i === 0 ? "First" : "Second") + " column";
        return h("section", { "class": "vcolumn", "aria-label": label + " of " + name }, [
          h("h4", { "class": "vcolumn-title", text: label + (i === 0 ? " (left, on top on phones)" : " (right)") }),
          blockList(col, COLUMN_TYPES, label)]);
      }))];
    }
  };

  function starter() {
    return [
      { type: "heading", level: 1, html: "Hi {{ candidate.first_name|first_name }}, let's talk about the {{ job.title }} role" },
      { type: "text", html: '<p style="margin:0">Thank you for your application to {{ org.name }}. We would like to invite you to an interview.</p>' },
      { type: "interview" },
      { type: "button", html: "Choose a time", href: "{{ invite_url }}" },
      { type: "signature", closing: "Kind regards,", name: "{{ sender_name }}" }
    ];
  }

  // ---- the block list ---------------------------------------------------------------------------

  function blockName(block, blocks, where) {
    return TYPES[block.type].label + ", block " + (blocks.indexOf(block) + 1) + " of " + blocks.length + (where ? " in the " + where.toLowerCase() : "");
  }

  function move(blocks, block, delta, where) {
    var i = blocks.indexOf(block), j = i + delta;
    if (j < 0 || j >= blocks.length) return;
    blocks.splice(i, 1); blocks.splice(j, 0, block);
    render(); emit();
    say(TYPES[block.type].label + " moved to position " + (j + 1) + ".");
    focusBlock(block, delta < 0 ? "up" : "down");
  }

  function focusBlock(block, tool) {
    var card = root.querySelector('[data-block="' + block.id + '"]');
    if (!card) return;
    var other = tool === "up" ? "down" : "up";
    var target = (tool && (card.querySelector('[data-tool="' + tool + '"]:not([disabled])') ||
      card.querySelector('[data-tool="' + other + '"]:not([disabled])'))) ||
      card.querySelector(".vedit") || card.querySelector("input, select") || card.querySelector("[data-tool]");
    if (target) target.focus();
  }

  function card(block, blocks, where) {
    var name = blockName(block, blocks, where), index = blocks.indexOf(block);
    var handle = h("span", { "class": "vhandle", draggable: "true", "aria-hidden": "true", title: "Drag to move", text: "⠿" });
    handle.addEventListener("dragstart", function (e) {
      dragging = { blocks: blocks, block: block };
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", TYPES[block.type].label);
    });
    handle.addEventListener("dragend", function () { dragging = null; root.querySelectorAll(".is-drop").forEach(function (n) { n.classList.remove("is-drop"); }); });
    var el = h("li", { "class": "vblock vblock-" + block.type, "data-block": block.id, "aria-label": name }, [
      h("div", { "class": "vblock-bar" }, [
        handle,
        h("span", { "class": "vblock-name", "aria-hidden": "true" }, [h("span", { "class": "vicon", text: TYPES[block.type].icon }), TYPES[block.type].label]),
        h("span", { "class": "vblock-tools", role: "group", "aria-label": name }, [
          h("button", { type: "button", "class": "vtool", "data-tool": "up", "aria-label": "Move up: " + name, title: "Move up", disabled: index === 0,
            onclick: function () { move(blocks, block, -1, where); } }, [h("span", { "aria-hidden": "true", text: "↑" })]),
          h("button", { type: "button", "class": "vtool", "data-tool": "down", "aria-label": "Move down: " + name, title: "Move down", disabled: index === blocks.length - 1,
            onclick: function () { move(blocks, block, 1, where); } }, [h("span", { "aria-hidden": "true", text: "↓" })]),
          h("button", { type: "button", "class": "vtool vtool-danger", "data-tool": "remove", "aria-label": "Remove: " + name, title: "Remove",
            onclick: function () {
              var at = blocks.indexOf(block);
              blocks.splice(at, 1);
              removed = { blocks: blocks, at: at, block: block };
              render(); emit();
              say(TYPES[block.type].label + " removed. Undo with the button after the blocks.");
              var next = blocks[Math.min(at, blocks.length - 1)];
              if (next) focusBlock(next); else root.querySelector(".vadd button").focus();
            } }, [h("span", { "aria-hidden": "true", text: "✕" })])
        ])
      ]),
      h("div", { "class": "vblock-body" }, EDITORS[block.type](block, TYPES[block.type].label))
    ]);
    el.addEventListener("dragover", function (e) {
      if (!dragging || dragging.blocks !== blocks || dragging.block === block) return;
      e.preventDefault(); el.classList.add("is-drop");
    });
    el.addEventListener("dragleave", function () { el.classList.remove("is-drop"); });
    el.addEventListener("drop", function (e) {
      if (!dragging || dragging.blocks !== blocks) return;
      e.preventDefault();
      var moved = dragging.block;
      blocks.splice(blocks.indexOf(moved), 1);
      blocks.splice(blocks.indexOf(block) + (e.offsetY > el.offsetHeight / 2 ? 1 : 0), 0, moved);
      dragging = null; render(); emit();
      say(TYPES[moved.type].label + " moved to position " + (blocks.indexOf(moved) + 1) + ".");
    });
    return el;
  }

  function blockList(blocks, types, where) {
    var ol = h("ol", { "class": "vlist", "aria-label": where ? "Blocks in the " + where.toLowerCase() : "Blocks of the email" },
      blocks.map(function (b) { return card(b, blocks, where); }));
    var empty = !blocks.length ? h("div", { "class": "vempty" }, [
      h("p", { text: where ? "Empty column: add a block below." : "No blocks yet. Add the first one below: a heading is a good start." }),
      where ? null : h("button", { type: "button", "data-starter": "", text: "Start from an invitation layout", onclick: function () {
        model = withIds(starter()); render(); emit();
        say("Invitation layout added: heading, text, interview details, button and signature.");
        focusBlock(model[0]);
      } })]) : null;
    var undo = !where && removed ? h("p", { "class": "vundo" }, [
      h("button", { type: "button", "data-undo": "", text: "Undo: put the " + TYPES[removed.block.type].label.toLowerCase() + " back", onclick: function () {
        var r = removed; removed = null;
        r.blocks.splice(Math.min(r.at, r.blocks.length), 0, r.block); render(); emit();
        say(TYPES[r.block.type].label + " is back at position " + (r.blocks.indexOf(r.block) + 1) + ".");
        focusBlock(r.block);
      } })]) : null;
    var add = h("div", { "class": "vadd", role: "group", "aria-label": "Add a block" + (where ? " to the " + where.toLowerCase() : "") },
      [h("span", { "class": "vadd-label", "aria-hidden": "true", text: "Add" })].concat(types.map(function (t) {
        return h("button", { type: "button", "class": "vtool", "data-add": t, "aria-label": "Add " + TYPES[t].label.toLowerCase() + (where ? " to the " + where.toLowerCase() : ""),
          onclick: function () {
            var block = TYPES[t].make(); block.type = t; block.id = uid("vb");
            blocks.push(block); removed = null; render(); emit();
            say(TYPES[t].label + " added as block " + blocks.length + ".");
            focusBlock(block);
          } }, [h("span", { "class": "vicon", "aria-hidden": "true", text: TYPES[t].icon }), TYPES[t].label]);
      })));
    return h("div", { "class": "vlist-wrap" }, [ol, empty, undo, add]);
  }

  function render() {
    var scroll = window.scrollY;
    list.textContent = "";
    list.appendChild(blockList(model, TOP_TYPES, ""));
    window.scrollTo(0, scroll);
  }

  // ---- modes ------------------------------------------------------------------------------------

  function setMode(mode) {
    var form = document.getElementById("studio-form");
    form.setAttribute("data-mode", mode);
    root.hidden = mode !== "visual";
    document.querySelectorAll("[data-mode-button]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-mode-button") === mode)); });
    if (mode === "code") window.HeraldStudio.refresh();
  }

  function showNotice(result) {
    notice.hidden = false;
    notice.textContent = "";
    notice.appendChild(h("p", {}, [h("strong", { text: "Code mode. " }), "This template stays in code because ",
      result.line ? h("button", { type: "button", "class": "link-line", "data-goto-line": result.line, text: "line " + result.line }) : null,
      (result.line ? ": " : "") + result.problem + " Nothing has been changed."]));
    notice.querySelector("p").setAttribute("tabindex", "-1");
    notice.appendChild(h("button", { type: "button", "data-start-blocks": "", text: "Start over with blocks" }));
  }

  function openVisual(announce) {
    var result = B.fromMJML(window.HeraldStudio.getSource());
    if (result.problem) { showNotice(result); setMode("code"); if (announce) notice.querySelector("p").focus(); return false; }
    notice.hidden = true;
    model = withIds(result.blocks);
    render();
    setMode("visual");
    return true;
  }

  function setup() {
    root = document.getElementById("visual-editor");
    if (!root || !B || !window.HeraldStudio) return;
    notice = document.getElementById("visual-notice");
    announcer = document.getElementById("visual-announce");
    list = root.querySelector(".vcanvas-body");
    ["primary", "text", "background", "font"].forEach(function (k) {
      var v = root.getAttribute("data-brand-" + k);
      if (v) root.style.setProperty("--brand-" + k, v);
    });
    document.getElementById("studio-modes").hidden = false;
    document.execCommand("defaultParagraphSeparator", false, "p");
    document.addEventListener("click", function (e) {  // "Line N" of an error: show the code first
      if (e.target.closest && e.target.closest("[data-goto-line]") && root.hidden === false) {
        setMode("code"); notice.hidden = true;
      }
    }, true);
    document.addEventListener("click", function (e) {
      var modeButton = e.target.closest && e.target.closest("[data-mode-button]");
      if (modeButton) {
        if (modeButton.getAttribute("data-mode-button") === "visual") {
          if (openVisual(true)) say("Visual mode.");
        } else { setMode("code"); notice.hidden = true; say("Code mode."); }
        return;
      }
      if (e.target.closest && e.target.closest("[data-start-blocks]")) {
        if (!window.confirm("Replace the body with an empty visual layout? Saved versions stay in History.")) return;
        model = []; notice.hidden = true; render(); setMode("visual"); emit();
        root.querySelector(".vadd button").focus();
      }
    });
    root.addEventListener("keydown", function (e) {  // Enter in a block's field must not save the page
      if (e.key === "Enter" && e.target.matches("input")) { e.preventDefault(); e.target.dispatchEvent(new Event("change", { bubbles: true })); }
    });
    openVisual(false);
    root.setAttribute("data-ready", String(Math.round(performance.now())));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
