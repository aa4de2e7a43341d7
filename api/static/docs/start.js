// Starts Swagger UI on /docs with the spec URL and settings the page carries (no inline
// script: the page's CSP allows scripts from the app itself only).
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui-container");
  var config = {
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
  };
  var overrides = JSON.parse(container.dataset.config || "{}");
  Object.keys(overrides).forEach(function (name) {
    config[name] = overrides[name];
  });
  window.ui = window.SwaggerUIBundle(config);
})();
