// The link on a player's card is /login/#CODE: what follows the # never leaves the browser, so the
// code is in no request line and no server log. Take it out of the address (and so of the history),
// then send it with the login form, as if typed: the server asks first if this phone is logged in as
// someone else.
(function () {
  "use strict";
  var code = "";
  try {
    code = decodeURIComponent(window.location.hash.slice(1));
  } catch (error) {
    // A malformed link: the form stays empty, to be typed in.
  }
  if (window.location.hash) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  var form = document.querySelector("form[action='/']");
  if (!code || !form) {
    return;
  }
  form.elements.code.value = code;
  // requestSubmit() runs the form's own submit handlers, as a tap on its button would.
  if (form.requestSubmit) {
    form.requestSubmit();
  } else {
    form.submit();
  }
})();
