/*! domaincall click-to-call button.
 * <script src="https://HOST/widget.js" data-domain="example.com" async></script>
 * Optional: data-target="#id" (render into that element), data-label="Call us".
 * The button opens https://HOST/call/<domain>: a sized popup on desktop, a new tab on
 * phones. It lives in a shadow root so the page's styles cannot break it. */
(function () {
  "use strict";
  var DONE = "data-domaincall-rendered";
  var CSS =
    ":host{all:initial;display:inline-block}" +
    "button{all:initial;box-sizing:border-box;display:inline-flex;align-items:center;" +
    "gap:.5em;min-height:44px;padding:.6em 1.1em;border-radius:999px;cursor:pointer;" +
    "font:600 16px/1.2 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;" +
    "color:#fff;background:#0b6b4f;border:2px solid #0b6b4f;" +
    "box-shadow:0 1px 3px rgba(0,0,0,.25)}" +
    "button:hover{background:#08543e;border-color:#08543e}" +
    "button:focus-visible{outline:3px solid #1a56db;outline-offset:3px}" +
    "button:active{transform:translateY(1px)}" +
    "svg{width:1.1em;height:1.1em;fill:currentColor;flex:none}";
  var ICON =
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M6.6 10.8a15.1 ' +
    "15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 " +
    "0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.6a1 1 0 0 " +
    '1-.25 1z"/></svg>';

  // A host name, not a URL: letters, digits, dots and hyphens (Unicode letters allowed).
  function cleanDomain(raw) {
    var d = String(raw || "").trim().toLowerCase().replace(/\.$/, "");
    return /^[^\s\/:?#@]+\.[^\s\/:?#@.]+$/.test(d) ? d : "";
  }

  function isPhone() {
    return !!(window.matchMedia && window.matchMedia("(max-width: 640px), (pointer: coarse)").matches);
  }

  function open(url, domain) {
    if (isPhone()) {
      window.open(url, "_blank", "noopener");
      return;
    }
    var w = 420, h = 720;
    var left = Math.max(0, (window.screenX || 0) + ((window.outerWidth || w) - w) / 2);
    var top = Math.max(0, (window.screenY || 0) + ((window.outerHeight || h) - h) / 2);
    window.open(
      url,
      "domaincall-" + domain.replace(/[^a-z0-9]/g, "-"),
      "popup=yes,noopener,width=" + w + ",height=" + h + ",left=" + Math.round(left) + ",top=" + Math.round(top)
    );
  }

  function render(script) {
    if (script.hasAttribute(DONE)) return;
    script.setAttribute(DONE, "");
    var domain = cleanDomain(script.getAttribute("data-domain"));
    if (!domain) {
      if (window.console) console.warn("domaincall widget: data-domain is missing or not a domain name");
      return;
    }
    var origin;
    try {
      origin = new URL(script.src, document.baseURI).origin;
    } catch (e) {
      return;
    }
    var url = origin + "/call/" + encodeURIComponent(domain);
    var label = (script.getAttribute("data-label") || "").trim() || "Call " + domain;

    var host = document.createElement("domaincall-button");
    // Inline and important: the page's own rules cannot hide or restyle the host.
    host.setAttribute("style", "all:initial !important;display:inline-block !important");
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("aria-label", label === "Call " + domain ? label : label + " (" + domain + ")");
    button.setAttribute("title", "Opens a call to " + domain + " in a new window");
    button.innerHTML = ICON;
    button.appendChild(document.createTextNode(label));
    button.addEventListener("click", function () {
      open(url, domain);
    });
    var style = document.createElement("style");
    style.textContent = CSS;
    if (host.attachShadow) {
      var root = host.attachShadow({ mode: "open" });
      root.appendChild(style);
      root.appendChild(button);
    } else {
      button.setAttribute("style", "font:600 16px system-ui,sans-serif;padding:.6em 1.1em;color:#fff;background:#0b6b4f;border:0;border-radius:999px");
      host.appendChild(button);
    }

    var targetSel = script.getAttribute("data-target");
    var target = null;
    try {
      target = targetSel ? document.querySelector(targetSel) : null;
    } catch (e) {
      target = null;
    }
    if (target) {
      target.appendChild(host);
    } else if (script.parentNode && script.parentNode !== document.head) {
      script.parentNode.insertBefore(host, script.nextSibling);
    } else {
      var place = function () {
        document.body.appendChild(host);
      };
      if (document.body) place();
      else document.addEventListener("DOMContentLoaded", place);
    }
  }

  function renderTarget(script) {
    var targetSel = script.getAttribute("data-target");
    if (targetSel && document.readyState === "loading") {
      // The target may come later in the page than an early script tag.
      document.addEventListener("DOMContentLoaded", function () {
        render(script);
      });
    } else {
      render(script);
    }
  }

  var me = document.currentScript;
  if (me) {
    renderTarget(me);
  } else {
    // Very old browsers: every widget script not rendered yet.
    var all = document.querySelectorAll("script[data-domain][src*='widget.js']");
    for (var i = 0; i < all.length; i++) renderTarget(all[i]);
  }
})();
