// Role assistant wiki widget: one <script src=".../widget.js" data-title="Ask about roles"></script>
// adds a floating button that opens the assistant's /embed chat in a panel. Nothing else to set up.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__roleAssistantWidget) return;
  window.__roleAssistantWidget = true;

  var base = new URL(".", script.src).href;
  var server = new URL(script.src).origin;
  var title = script.getAttribute("data-title") || "Ask the role assistant";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var z = "2147483000";

  var button = document.createElement("button");
  button.type = "button";
  button.id = "role-assistant-button";
  button.textContent = title; // text, never HTML
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "role-assistant-panel");
  Object.assign(button.style, {
    position: "fixed", bottom: "16px", zIndex: z, padding: "10px 16px", border: "0",
    borderRadius: "999px", background: "#1f4fd1", color: "#fff", font: "600 14px/1.2 system-ui, sans-serif",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", cursor: "pointer", maxWidth: "calc(100vw - 32px)"
  });
  button.style[side] = "16px";

  var panel = document.createElement("div");
  panel.id = "role-assistant-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  Object.assign(panel.style, {
    position: "fixed", bottom: "68px", zIndex: z, width: "min(400px, calc(100vw - 24px))",
    height: "min(640px, calc(100vh - 96px))", display: "none", background: "#fff",
    borderRadius: "12px", overflow: "hidden", boxShadow: "0 8px 30px rgba(0,0,0,.3)"
  });
  panel.style[side] = "12px";

  var frame = null;
  var checking = false;

  function openFrame() {
    frame = document.createElement("iframe");
    frame.src = base + "embed/";
    frame.title = title;
    frame.setAttribute("allow", "clipboard-write");
    Object.assign(frame.style, { width: "100%", height: "100%", border: "0" });
    panel.style.height = "min(640px, calc(100vh - 96px))";
    panel.appendChild(frame);
  }

  // Server text goes in as text nodes only: the panel never parses HTML from anywhere.
  function say(heading, lines) {
    while (panel.firstChild) panel.removeChild(panel.firstChild);
    var box = document.createElement("div");
    box.setAttribute("role", "status");
    Object.assign(box.style, { padding: "16px 18px", font: "14px/1.45 system-ui, sans-serif", color: "#1d1d1f" });
    var strong = document.createElement("p");
    strong.appendChild(document.createTextNode(heading));
    Object.assign(strong.style, { margin: "0 0 8px", fontWeight: "600", fontSize: "15px" });
    box.appendChild(strong);
    for (var i = 0; i < lines.length; i++) {
      var line = document.createElement("p");
      line.appendChild(document.createTextNode(lines[i]));
      line.style.margin = i === lines.length - 1 ? "0" : "0 0 8px";
      line.style.overflowWrap = "anywhere"; // long origins must not widen the panel
      box.appendChild(line);
    }
    panel.appendChild(box);
    panel.style.height = "auto"; // a message needs no chat-sized box
  }

  // The server says whether this page's origin may embed it before the frame is made:
  // a refused frame would only show the browser's blocked-page picture, with no reason.
  function check() {
    checking = true;
    say("Opening the assistant\u2026", []);
    fetch(base + "embed-check", { mode: "cors", credentials: "omit", cache: "no-store" }).then(function (response) {
      if (response.status !== 403) return null;
      return response.json().then(function (body) { return body || {}; }, function () { return {}; });
    }).then(function (refused) {
      checking = false;
      if (!refused) {
        while (panel.firstChild) panel.removeChild(panel.firstChild);
        openFrame();
        return;
      }
      var origin = typeof refused.origin === "string" ? refused.origin : location.origin;
      var setting = typeof refused.setting === "string" ? refused.setting : "ASSISTANT_ALLOWED_ORIGINS";
      say("The assistant can\u2019t be shown on this page", [
        "This page (" + origin + ") is not allowed to embed the assistant.",
        "An administrator can add " + origin + " to " + setting + " on the assistant's server (" + server + ")."
      ]);
    }, function () {
      checking = false;
      say("The assistant can\u2019t be reached", [
        "The assistant's server at " + server + " did not answer. It may be down, or not reachable from this network.",
        "Close and open this panel to try again."
      ]);
    });
  }

  function toggle() {
    var open = panel.style.display === "none";
    // Checked on first open, so a wiki page pays nothing until someone asks; again after
    // a failed or refused check, as the server or its allowlist may have changed since.
    if (open && !frame && !checking) check();
    panel.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
  }
  button.addEventListener("click", toggle);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && panel.style.display !== "none") toggle();
  });

  function attach() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
})();
