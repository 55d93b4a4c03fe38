// The visual editor's block model: a list of blocks <-> MJML, within a small known vocabulary.
//
// toMJML(blocks) writes one canonical MJML text. fromMJML(text) reads it back and only then
// says "visual": it rebuilds the blocks, writes them again and compares with what it was
// given (whitespace aside). Anything the vocabulary cannot say exactly (another mj- tag, an
// attribute, a Jinja tag, formatting) fails that comparison, and the template stays in code
// mode with the line where it differs: switching modes never loses content.
//
// window.HeraldBlocks = { toMJML, fromMJML, sanitizeRich, sanitizeInline, PLACEHOLDERS, LINKS,
//                         placeholderLabel, cleanHref }
(function () {
  "use strict";

  var PLACEHOLDERS = [
    { group: "Candidate", items: [
      ["candidate.first_name|first_name", "First name"],
      ["candidate.full_name", "Full name"],
      ["candidate.email", "Email address"]] },
    { group: "Job", items: [
      ["job.title", "Job title"],
      ["job.location", "Job location"],
      ["job.department", "Department"]] },
    { group: "Interview", items: [
      ["interview.at|date", "Interview date"],
      ["interview.at|time", "Interview time"],
      ["interview.at|timezone_name", "Time zone"],
      ["interview.duration_minutes|duration", "Interview length"],
      ["interview.location", "Interview location"]] },
    { group: "Organization", items: [
      ["org.name", "Organization name"],
      ["sender_name", "Sender name"]] }
  ];
  var LINKS = [
    ["{{ invite_url }}", "Interview page (accept or choose a time)"],
    ["{{ interview.video_url }}", "Video call"],
    ["{{ preferences_url }}", "Email preferences"],
    ["{{ unsubscribe_url }}", "Unsubscribe"]
  ];
  var LABELS = {};
  PLACEHOLDERS.forEach(function (g) { g.items.forEach(function (i) { LABELS[i[0]] = i[1]; }); });
  var LINK_VALUES = {};
  LINKS.forEach(function (l) { LINK_VALUES[l[0]] = l[1]; });

  var HEADING_STYLE = {
    1: "margin:0;font-size:26px;line-height:1.3;font-weight:700",
    2: "margin:0;font-size:20px;line-height:1.35;font-weight:700"
  };
  var DIVIDER = '<mj-divider border-width="1px" border-color="#e5e7eb" padding="8px 0 24px 0" />';
  var INTERVIEW = '<mj-text css-class="interview-details">{% if interview.at %}' +
    "<strong>When:</strong> {{ interview.at|date }}, {{ interview.at|time }} ({{ interview.at|timezone_name }})" +
    "<br /><strong>Length:</strong> {{ interview.duration_minutes|duration }}" +
    "{% if interview.location %}<br /><strong>Where:</strong> {{ interview.location }}{% endif %}" +
    '{% if interview.video_url %}<br /><strong>Video call:</strong> <a href="{{ interview.video_url }}">join the call</a>{% endif %}' +
    "{% else %}<strong>When:</strong> you choose the time that suits you.{% endif %}</mj-text>";
  var COLUMN_PADDING = ['padding="0 12px 0 0"', 'padding="0 0 0 12px"'];
  var PLACEHOLDER_RE = /\{\{\s*([a-z_][a-z0-9_.]*(?:\|[a-z_]+)?)\s*\}\}/g;
  var BLOCKISH = { p: 1, div: 1, h1: 1, h2: 1, h3: 1, h4: 1, h5: 1, h6: 1, blockquote: 1, section: 1 };

  // ---- writing -----------------------------------------------------------------------------

  function escText(s) {
    return String(s).replace(/\u00a0/g, " ").replace(/\u200b/g, "").replace(/&/g, "&amp;").replace(/</g, "&lt;")
      .replace(/>/g, "&gt;").replace(/\{/g, "&#123;");
  }
  function escAttr(s) { return escText(s).replace(/"/g, "&quot;"); }
  function urlAttr(url) { return LINK_VALUES[url] ? url : escAttr(url); }

  function cleanHref(href) {
    href = (href || "").trim();
    if (LINK_VALUES[href]) return href;
    if (/^(https?:\/\/|mailto:)[^\s<>"]+$/i.test(href)) return href;
    return "";
  }

  function textWithPlaceholders(s) {
    var out = "", last = 0;
    s.replace(PLACEHOLDER_RE, function (match, expr, offset) {
      out += escText(s.slice(last, offset));
      out += LABELS[expr] ? "{{ " + expr + " }}" : escText(match);
      last = offset + match.length;
      return match;
    });
    return out + escText(s.slice(last));
  }

  function nameOf(node) { return node.nodeType === 1 ? node.localName.toLowerCase() : ""; }

  // Inline content of a list of nodes: text, placeholders and, in "rich" mode, strong, em,
  // links and line breaks. Anything else is unwrapped to its text.
  function inlineOf(nodes, rich) {
    var out = "";
    Array.prototype.forEach.call(nodes, function (child) {
      if (child.nodeType === 3) { out += textWithPlaceholders(child.data); return; }
      if (child.nodeType !== 1) return;
      var ph = child.getAttribute("data-ph");
      if (ph !== null) { if (LABELS[ph]) out += "{{ " + ph + " }}"; return; }
      var name = nameOf(child), inner = inlineOf(child.childNodes, rich);
      if (rich && name === "br") { out += "<br />"; return; }
      if (rich && (name === "strong" || name === "b") && inner) { out += "<strong>" + inner + "</strong>"; return; }
      if (rich && (name === "em" || name === "i") && inner) { out += "<em>" + inner + "</em>"; return; }
      if (rich && name === "a" && inner && cleanHref(child.getAttribute("href"))) {
        out += '<a href="' + urlAttr(cleanHref(child.getAttribute("href"))) + '">' + inner + "</a>";
        return;
      }
      out += inner;
    });
    return out;
  }

  function trimInline(html) {
    return html.replace(/^(\s|<br \/>)+/, "").replace(/(\s|<br \/>)+$/, "");
  }

  function sanitizeInline(root) { return trimInline(inlineOf(root.childNodes, false)); }

  function richParts(root) {
    var parts = [], pending = [];
    function flush() {
      var html = trimInline(inlineOf(pending, true));
      if (html) parts.push(["p", html]);
      pending = [];
    }
    Array.prototype.forEach.call(root.childNodes, function (child) {
      var name = nameOf(child);
      if (name === "ul" || name === "ol") {
        flush();
        var items = [];
        Array.prototype.forEach.call(child.childNodes, function (li) {
          var html = trimInline(inlineOf(nameOf(li) === "li" ? li.childNodes : [li], true));
          if (html) items.push(html);
        });
        if (items.length) parts.push([name, items]);
      } else if (BLOCKISH[name]) {
        flush();
        parts.push.apply(parts, richParts(child));
      } else {
        pending.push(child);
      }
    });
    flush();
    return parts;
  }

  // Canonical HTML of a rich text: paragraphs and lists with email-safe spacing.
  function sanitizeRich(root) {
    var parts = richParts(root);
    return parts.map(function (part, i) {
      var margin = i === parts.length - 1 ? "margin:0" : "margin:0 0 12px 0";
      if (part[0] === "p") return '<p style="' + margin + '">' + part[1] + "</p>";
      return "<" + part[0] + ' style="' + margin + ';padding-left:24px">' +
        part[1].map(function (li) { return "<li>" + li + "</li>"; }).join("") + "</" + part[0] + ">";
    }).join("");
  }

  function leafMJML(b) {
    switch (b.type) {
      case "heading":
        return "<mj-text><h" + b.level + ' style="' + HEADING_STYLE[b.level] + '">' + b.html +
          "</h" + b.level + "></mj-text>";
      case "text": return "<mj-text>" + (b.html || '<p style="margin:0"></p>') + "</mj-text>";
      case "button": return '<mj-button href="' + urlAttr(b.href) + '">' + b.html + "</mj-button>";
      case "image":
        if (!b.src) return "";  // not in the email until it has a picture
        return '<mj-image src="' + urlAttr(b.src) + '" alt="' + escAttr(b.alt || "") + '"' +
          (b.width ? ' width="' + b.width + 'px"' : "") + ' padding="0 0 16px 0" />';
      case "divider": return DIVIDER;
      case "spacer": return '<mj-spacer height="' + b.height + 'px" />';
      case "interview": return INTERVIEW;
      case "signature": return '<mj-text css-class="signature">' + b.closing + "<br />" + b.name + "</mj-text>";
    }
    return "";
  }

  function indent(lines, pad) { return lines.map(function (l) { return pad + l; }).join("\n"); }

  function toMJML(blocks) {
    var out = [], run = [];
    function flushRun() {
      if (run.length) out.push("<mj-section>\n  <mj-column>\n" + indent(run, "    ") + "\n  </mj-column>\n</mj-section>");
      run = [];
    }
    blocks.forEach(function (b) {
      if (b.type !== "columns") { var leaf = leafMJML(b); if (leaf) run.push(leaf); return; }
      flushRun();
      out.push("<mj-section>\n" + b.columns.map(function (col, i) {
        var leaves = col.map(leafMJML).filter(Boolean);
        return "  <mj-column " + COLUMN_PADDING[i] + ">" +
          (leaves.length ? "\n" + indent(leaves, "    ") + "\n  " : "") + "</mj-column>";
      }).join("\n") + "\n</mj-section>");
    });
    flushRun();
    return out.length ? out.join("\n") + "\n" : "";
  }

  // ---- reading -----------------------------------------------------------------------------

  function Outside(message, node) { this.message = message; this.node = node; }

  function elements(node) {
    var found = [];
    Array.prototype.forEach.call(node.childNodes, function (child) {
      if (child.nodeType === 1) found.push(child);
      else if (child.nodeType === 3 && !child.data.trim()) return;
      else throw new Outside(child.nodeType === 8 ? "a comment is not part of any block." : "text outside a block.", null);
    });
    return found;
  }

  function splitAtBreak(el) {
    var before = [], after = [], seen = false;
    Array.prototype.forEach.call(el.childNodes, function (child) {
      if (!seen && nameOf(child) === "br") { seen = true; return; }
      (seen ? after : before).push(child);
    });
    return [before, after];
  }

  function leafOf(el) {
    var name = nameOf(el), css = el.getAttribute("css-class");
    if (name === "mj-text" && css === "interview-details") return { type: "interview" };
    if (name === "mj-text" && css === "signature") {
      var halves = splitAtBreak(el);
      return { type: "signature", closing: trimInline(inlineOf(halves[0], false)), name: trimInline(inlineOf(halves[1], false)) };
    }
    if (name === "mj-text") {
      var kids = Array.prototype.filter.call(el.childNodes, function (n) { return n.nodeType !== 3 || n.data.trim(); });
      var first = kids.length === 1 ? nameOf(kids[0]) : "";
      if (first === "h1" || first === "h2") {
        return { type: "heading", level: first === "h1" ? 1 : 2, html: sanitizeInline(kids[0]) };
      }
      return { type: "text", html: sanitizeRich(el) };
    }
    if (name === "mj-button") return { type: "button", href: el.getAttribute("href") || "", html: sanitizeInline(el) };
    if (name === "mj-image") {
      return { type: "image", src: el.getAttribute("src") || "", alt: el.getAttribute("alt") || "",
               width: parseInt(el.getAttribute("width"), 10) || "" };
    }
    if (name === "mj-divider") return { type: "divider" };
    if (name === "mj-spacer") return { type: "spacer", height: parseInt(el.getAttribute("height"), 10) || 32 };
    throw new Outside("<" + el.localName + "> is not one of the visual blocks.", el);
  }

  function blocksOf(root) {
    var blocks = [];
    elements(root).forEach(function (section) {
      if (nameOf(section) !== "mj-section") throw new Outside("<" + section.localName + "> is not one of the visual blocks.", section);
      var columns = elements(section);
      if (columns.some(function (c) { return nameOf(c) !== "mj-column"; }) || !columns.length || columns.length > 2) {
        throw new Outside("a section holds something other than one or two columns.", section);
      }
      if (columns.length === 1) elements(columns[0]).forEach(function (el) { blocks.push(leafOf(el)); });
      else blocks.push({ type: "columns", columns: columns.map(function (c) { return elements(c).map(leafOf); }) });
    });
    return blocks;
  }

  function lineOfElement(source, doc, el) {
    if (!el) return null;
    var all = Array.prototype.filter.call(doc.getElementsByTagName("*"), function (e) { return /^mj-/.test(e.localName); });
    var index = all.indexOf(el), re = /<mj-[a-z-]+/g, match, n = -1;
    while ((match = re.exec(source))) {
      if (++n === index) return source.slice(0, match.index).split("\n").length;
    }
    return null;
  }

  function firstDifferentLine(source, written) {
    var a = source.split("\n"), b = written.split("\n");
    for (var i = 0; i < a.length; i++) if ((a[i] || "").trim() !== (b[i] || "").trim()) return i + 1;
    return a.length;
  }

  function normalize(s) { return s.replace(/>\s+</g, "><").replace(/\s+/g, " ").trim(); }

  // {blocks} when the text is inside the vocabulary, else {problem, line}.
  function fromMJML(source) {
    if (!source.trim()) return { blocks: [] };
    var doc = new DOMParser().parseFromString("<herald-root>" + source + "</herald-root>", "application/xml");
    var error = doc.getElementsByTagName("parsererror")[0];
    if (error) {
      var m = /line (\d+)/i.exec(error.textContent || "");
      return { problem: "it is not written the way the visual editor writes MJML (for example a tag that is never closed, or an entity such as &nbsp;).", line: m ? parseInt(m[1], 10) : null };
    }
    var blocks;
    try { blocks = blocksOf(doc.documentElement); }
    catch (e) {
      if (!(e instanceof Outside)) throw e;
      return { problem: e.message, line: lineOfElement(source, doc, e.node) };
    }
    var written = toMJML(blocks);
    if (normalize(written) !== normalize(source)) {
      return { problem: "this part is written differently from what the visual editor would write, so editing it visually could change it.", line: firstDifferentLine(source, written) };
    }
    return { blocks: blocks };
  }

  window.HeraldBlocks = {
    toMJML: toMJML, fromMJML: fromMJML, sanitizeRich: sanitizeRich, sanitizeInline: sanitizeInline,
    PLACEHOLDERS: PLACEHOLDERS, LINKS: LINKS, cleanHref: cleanHref,
    placeholderLabel: function (expr) { return LABELS[expr] || ""; },
    linkLabel: function (href) { return LINK_VALUES[href] || ""; }
  };
})();
