// Progressive enhancement, in the spirit of htmx (https://htmx.org) and using its attribute
// names, so that the library could replace this file: a form with hx-post is sent in the
// background with the header HX-Request: true, and the HTML answer replaces the form (or the
// hx-target element). Without JavaScript the same form posts and the server redirects back.
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("hx-post")) return;
  event.preventDefault();
  const selector = form.getAttribute("hx-target");
  const target = selector ? document.querySelector(selector) : form;
  const body = new URLSearchParams(new FormData(form, event.submitter));
  form.setAttribute("aria-busy", "true");
  let response;
  try {
    response = await fetch(form.getAttribute("hx-post"), {
      method: "POST",
      body,
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    });
  } catch {
    form.removeAttribute("aria-busy");
    form.submit(); // the network failed: let the browser try and show what happens
    return;
  }
  form.removeAttribute("aria-busy");
  if (response.ok && target) {
    // Our own server's HTML, built from autoescaped templates.
    target.outerHTML = await response.text();
    return;
  }
  // An error (sign in first, too many requests, ...): show the server's page.
  document.open();
  document.write(await response.text());
  document.close();
});
