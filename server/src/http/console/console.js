/*! domaincall GraphQL console: posts the query as application/json to /graphql (with the
 * dashboard session cookie, or the bearer token typed in) and shows the response. No
 * inline script, no third-party code: it runs under script-src 'self'. */
(function () {
  "use strict";

  function byId(id) {
    return document.getElementById(id);
  }

  function show(status, text) {
    byId("status").textContent = status;
    byId("output").textContent = text;
  }

  function run() {
    var query = byId("query").value;
    var variables = {};
    var raw = byId("variables").value.trim();
    if (raw) {
      try {
        variables = JSON.parse(raw);
      } catch (e) {
        show("", "Variables are not JSON: " + e.message);
        return;
      }
    }
    var headers = { "content-type": "application/json", accept: "application/json" };
    var token = byId("token").value.trim();
    if (token) {
      headers.authorization = "Bearer " + token;
    }
    show("…", "");
    fetch("/graphql", {
      method: "POST",
      headers: headers,
      credentials: "same-origin",
      body: JSON.stringify({ query: query, variables: variables })
    })
      .then(function (res) {
        return res.text().then(function (body) {
          var pretty = body;
          try {
            pretty = JSON.stringify(JSON.parse(body), null, 2);
          } catch (e) {
            // Not JSON: shown as it came.
          }
          show("(" + res.status + ")", pretty);
        });
      })
      .catch(function (e) {
        show("", "Request failed: " + e.message);
      });
  }

  function start() {
    byId("run").addEventListener("click", run);
    document.addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
        e.preventDefault();
        run();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
