// Role assistant wiki widget: one <script src=".../widget.js" data-title="Ask about roles"></script>
// adds a floating button that opens the assistant's /embed chat in a panel. Nothing else to set up.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__roleAssistantWidget) return;
  window.__roleAssistantWidget = true;

  var base = new URL(".", script.src).href;
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
  function toggle() {
    var open = panel.style.display === "none";
    if (open && !frame) {
      // Loaded on first open, so a wiki page pays nothing until someone asks.
      frame = document.createElement("iframe");
      frame.src = base + "embed/";
      frame.title = title;
      frame.setAttribute("allow", "clipboard-write");
      Object.assign(frame.style, { width: "100%", height: "100%", border: "0" });
      panel.appendChild(frame);
    }
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
